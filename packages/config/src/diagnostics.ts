import {
  CONFIG_ERRORS_MAX,
  ConfigError,
  type ConfigErrorCode,
  type ConfigErrorInit,
  type ConfigWarning,
  ConfigWarningCode,
} from './errors.ts'

/** Collects errors and warnings for one file (internal). */
export class Diagnostics {
  readonly file: string
  readonly errors: ConfigError[] = []
  readonly warnings: ConfigWarning[] = []
  omitted = 0

  constructor(file: string) {
    this.file = file
  }

  error(
    code: ConfigErrorCode,
    line: number,
    path: string,
    reason: string,
    extra: Omit<ConfigErrorInit, 'file' | 'line' | 'path'> = {},
  ): void {
    if (this.errors.length >= CONFIG_ERRORS_MAX) {
      this.omitted++
      return
    }
    this.errors.push(new ConfigError(code, reason, { file: this.file, line, path, ...extra }))
  }

  warn(code: ConfigWarningCode, line: number, path: string, message: string): void {
    this.warnings.push({
      code,
      severity: code === ConfigWarningCode.Ignored ? 'note' : 'warning',
      file: this.file,
      line,
      path,
      message,
    })
  }

  get failed(): boolean {
    return this.errors.length > 0 || this.omitted > 0
  }

  /** Errors and warnings in line order (stable for equal lines). */
  sort(): void {
    const byLine = (a: { line: number }, b: { line: number }): number => a.line - b.line
    this.errors.sort(byLine)
    this.warnings.sort(byLine)
  }
}
