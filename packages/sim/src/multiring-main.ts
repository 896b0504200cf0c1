/** Entry point of the `totem-sim-multiring` command (and `pnpm sim:multiring`). */
import { main } from './multiring-cli.ts'

process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0)
  throw e
})
process.exitCode = await main(process.argv.slice(2))
