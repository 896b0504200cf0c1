/** Entry point of the `totem-cpgbench` command. */
import { main } from './cli.ts'

process.exitCode = await main(process.argv.slice(2))
