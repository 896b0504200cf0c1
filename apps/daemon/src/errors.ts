/** Error codes of totemd (see README "Error codes"). */
export const DaemonErrorCode = {
  /** Bad command line (exit 2). */
  usage: 'ERR_DAEMON_USAGE',
  /** Another totemd answers on the control socket path. */
  alreadyRunning: 'ERR_DAEMON_ALREADY_RUNNING',
  /** The control socket cannot be created (directory missing, permissions, path too long). */
  controlSocket: 'ERR_DAEMON_CONTROL_SOCKET',
  /** The EVS trace file cannot be opened or written. */
  traceIo: 'ERR_DAEMON_TRACE_IO',
  /** The state dir cannot be created. */
  stateDir: 'ERR_DAEMON_STATE_DIR',
} as const
/** One of {@link DaemonErrorCode}'s values. */
export type DaemonErrorCode = (typeof DaemonErrorCode)[keyof typeof DaemonErrorCode]
