/** Entry point of the `totem-lockdemo` command. */
import { main } from './cli.ts'

process.exitCode = await main(process.argv.slice(2))
