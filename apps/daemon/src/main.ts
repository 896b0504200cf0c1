/** Entry point of the `totemd` command (see cli.ts). */
import { main } from './cli.ts'

// Started by bin/totemd.mjs from a checkout, the daemon has an IPC channel to the launcher. When
// the launcher dies without forwarding a signal (SIGKILL), the daemon dies the same way, so
// `kill -9 <launcher pid>` is a crash of the daemon, never an orphan.
if (process.channel !== undefined) {
  process.channel.unref()
  process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'))
}

process.exitCode = await main(process.argv.slice(2))
// Sockets, timers and streams are closed by then; exit now in case a library left a handle.
process.exit()
