/** Entry point of the `totem-sim` command (and `pnpm sim`). */
import { main } from './cli.ts'

process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0)
  throw e
})
process.exitCode = await main(process.argv.slice(2))
