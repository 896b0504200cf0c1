/** Error codes of totem-gateway (see README "Error codes"). */
export const GatewayErrorCode = {
  /** Bad command line (exit 2). */
  usage: 'ERR_GATEWAY_USAGE',
  /** Another process answers on the control socket path. */
  alreadyRunning: 'ERR_GATEWAY_ALREADY_RUNNING',
  /** The control socket cannot be created (directory missing, permissions, path too long). */
  controlSocket: 'ERR_GATEWAY_CONTROL_SOCKET',
  /** The EVS trace file cannot be opened or written. */
  traceIo: 'ERR_GATEWAY_TRACE_IO',
  /** A state dir cannot be created. */
  stateDir: 'ERR_GATEWAY_STATE_DIR',
} as const
/** One of {@link GatewayErrorCode}'s values. */
export type GatewayErrorCode = (typeof GatewayErrorCode)[keyof typeof GatewayErrorCode]
