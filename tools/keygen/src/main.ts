/** Entry point of the `totem-keygen` command. */
import { main } from './cli.ts'

process.exitCode = main(process.argv.slice(2))
