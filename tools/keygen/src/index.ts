/**
 * totem-keygen as a library: the command's `main`, for embedding or testing. The command writes a
 * cluster key file for @totem-ts/crypto like corosync-keygen (random bytes, mode 0400, refuses to
 * overwrite without `--force`); the key file functions themselves live in @totem-ts/crypto
 * (`writeKeyFile`, `readKeyFile`).
 *
 * @example
 * ```ts
 * import { main } from '@totem-ts/keygen'
 *
 * const status = main(['-k', './authkey', '-s', '64']) // 0: written, 1: I/O error, 2: usage
 * ```
 *
 * @packageDocumentation
 */
export { main, type Output } from './cli.ts'
