/** Entry point of the `totem-gateway` command (see cli.ts). */
import { main } from './cli.ts'

// Started by bin/totem-gateway.mjs from a checkout, the gateway has an IPC channel to the launcher. When
// the launcher dies without forwarding a signal (SIGKILL), the gateway dies the same way, so
// `kill -9 <launcher pid>` is a crash of the gateway, never an orphan.
if (process.channel !== undefined) {
  process.channel.unref()
  process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'))
}

process.exitCode = await main(process.argv.slice(2))
// Sockets, timers and streams are closed by then; exit now in case a library left a handle.
process.exit()
