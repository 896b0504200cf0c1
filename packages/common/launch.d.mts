/** Options of {@link launch}. */
export interface LaunchOptions {
  /** The command's name, for errors. */
  readonly name: string
  /** The entry module's base name under src/ and dist/. @defaultValue 'main' */
  readonly entry?: string
  /**
   * `tool`: the terminal's process group, SIGTERM and SIGHUP forwarded. `service`: its own process
   * group and an IPC channel to watch, SIGTERM, SIGINT and SIGHUP forwarded. `client`: the
   * terminal's process group and an IPC channel, SIGTERM and SIGINT forwarded.
   * @defaultValue 'tool'
   */
  readonly kind?: 'tool' | 'service' | 'client'
}
/** Runs a totem-ts command from its bin file (`binUrl` is the bin's `import.meta.url`). */
export declare function launch(binUrl: string, o: LaunchOptions): Promise<void>
