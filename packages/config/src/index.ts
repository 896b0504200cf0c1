/**
 * corosync.conf, parsed and validated: the real file format of corosync 2 and 3 (Pacemaker and
 * Proxmox clusters included) turned into the typed options of each totem-ts layer, with corosync
 * 3.1.7's defaults (token = 3000 + 650 × (N − 2)), range and cross-field checks, and every error as
 * `FILE:LINE: key path: what is wrong`. Unknown keys warn; keys totem-ts does not use get a note.
 *
 * @example
 * ```ts
 * import { checkConfig, formatConfigErrors, formatEffectiveConfig } from '@totem-ts/config'
 *
 * const text = 'totem {\n version: 2\n transport: udpu\n crypto_cipher: none\n crypto_hash: none\n}\n' +
 *   'nodelist {\n node {\n  ring0_addr: 10.0.0.1\n  nodeid: 1\n }\n node {\n  ring0_addr: 10.0.0.2\n  nodeid: 2\n }\n}\n'
 * const r = checkConfig(text, 'corosync.conf')
 * if (r.config !== undefined) {
 *   r.config.srpResolved.tokenTimeoutMs // 3000
 *   console.log(formatEffectiveConfig(r.config))
 * } else console.error(formatConfigErrors(r.errors, r.omitted))
 * ```
 *
 * @packageDocumentation
 */

export { type AddressKind, classifyAddress, nodeIdFromIPv4 } from './address.ts'
export {
  CONFIG_ERRORS_MAX,
  ConfigError,
  ConfigErrorCode,
  type ConfigErrorInit,
  ConfigErrors,
  type ConfigErrorsCode,
  type ConfigLocation,
  type ConfigWarning,
  ConfigWarningCode,
  formatConfigErrors,
  formatConfigWarnings,
  formatLocation,
} from './errors.ts'
export { formatEffectiveConfig } from './format.ts'
export {
  type ConfigCheck,
  checkConfig,
  DEFAULT_KEY_FILE,
  DEFAULT_PORT,
  DEFAULT_STATE_DIR,
  LINKS_MAX,
  loadConfig,
  readConfigFile,
} from './load.ts'
export type {
  ConfigNode,
  ConfigOptions,
  CryptoCipher,
  CryptoConfig,
  CryptoHash,
  DebugLevel,
  InteropMode,
  IpVersion,
  LoadedConfig,
  LoggingConfig,
  MultiringSectionConfig,
  RequestedTransport,
  RrpConfig,
  RrpMode,
  TotemNodeConfig,
  TransportConfig,
} from './options.ts'
export {
  CONFIG_BYTES_MAX,
  CONFIG_DEPTH_MAX,
  CONFIG_LINE_BYTES_MAX,
  type ConfDocument,
  type ConfKey,
  type ConfNode,
  type ConfSection,
  parseCorosyncConf,
} from './parse.ts'
export { CONFIG_KEYS, type ConfigKeyInfo, type ConfigKeyStatus } from './schema.ts'
