/** Entry point of the `totem-dissect` command. */
import { main } from './cli.ts'

// `totem-dissect … | head` closes the pipe early: that is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0)
  throw e
})
process.exitCode = main(process.argv.slice(2))
