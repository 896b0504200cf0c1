/** Entry point of the `totem-demo` command. */
import { runDemo } from './demo.ts'

process.exitCode = await runDemo(process.argv.slice(2))
