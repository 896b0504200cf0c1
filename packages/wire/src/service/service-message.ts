import { Reader } from '../cursor.ts'
import { wireError } from '../errors.ts'
import { decodePgGroupMessage, encodePgGroupMessage, GROUP_A, GROUP_SYNC } from '../pg/group.ts'
import { type CmapMessage, decodeCmapMessage, encodeCmapMessage } from './cmap.ts'
import { type CpgMessage, decodeCpgMessage, encodeCpgMessage } from './cpg.ts'
import { peekRequestId, readRequestHeader, SERVICE_EXEC_FUNCTIONS, ServiceId } from './request.ts'
import { decodeSyncMessage, encodeSyncMessage, type SyncMessage } from './sync.ts'

/**
 * An exec message of a corosync service this library does not model field by field (cfg, pload,
 * votequorum): its id and size are checked, its body is kept raw.
 */
export interface RawServiceMessage {
  readonly kind: 'service-raw'
  readonly service: number
  readonly fn: number
  /** The whole message, request header included (a view into the input). */
  readonly bytes: Uint8Array
}

/** A decoded service-level message: what corosync hands to its services. */
export type ServiceMessage = SyncMessage | CpgMessage | CmapMessage | RawServiceMessage

/** A totempg message decoded down to the service level. */
export interface DecodedAppMessage {
  /** The group names of the totempg group header (`a` or `sync` for corosync). */
  readonly groups: readonly string[]
  /** The decoded message, or `undefined` for groups corosync does not use. */
  readonly message: ServiceMessage | undefined
  /** The message proper (after the group header), a view into the input. */
  readonly body: Uint8Array
}

/**
 * Decodes one reassembled totempg message: the group header, then for group `sync` a sync
 * message, for group `a` the service exec message its id names (reference §5.5–§8). Throws
 * `ERR_WIRE_BAD_TYPE` for unknown services or functions.
 */
export function decodeAppMessage(bytes: Uint8Array, littleEndian: boolean): DecodedAppMessage {
  const { groups, body } = decodePgGroupMessage(bytes, littleEndian)
  if (groups.length === 1 && groups[0] === GROUP_SYNC) {
    return { groups, body, message: decodeSyncMessage(body, littleEndian) }
  }
  if (groups.length === 1 && groups[0] === GROUP_A) {
    return { groups, body, message: decodeExecMessage(body, littleEndian) }
  }
  return { groups, body, message: undefined }
}

/** Decodes a service exec message (group `a`) by the service in its id. */
export function decodeExecMessage(body: Uint8Array, littleEndian: boolean): ServiceMessage {
  const id = peekRequestId(body, littleEndian, 'exec message')
  const service = id >>> 16
  const fn = id & 0xffff
  const fns = SERVICE_EXEC_FUNCTIONS[service]
  if (fns === undefined || fn >= fns) {
    wireError('ERR_WIRE_BAD_TYPE', 'unknown service or exec function', { service, fn })
  }
  switch (service) {
    case ServiceId.Cmap:
      return decodeCmapMessage(body, littleEndian)
    case ServiceId.Cpg:
      return decodeCpgMessage(body, littleEndian)
    default: {
      const r = new Reader(body, littleEndian, 'service-raw')
      readRequestHeader(r, body.length)
      return { kind: 'service-raw', service, fn, bytes: body }
    }
  }
}

/** Encodes a service message body (without the group header). */
export function encodeServiceMessage(m: ServiceMessage, littleEndian = true): Uint8Array {
  switch (m.kind) {
    case 'sync-barrier':
    case 'sync-memb-determine':
    case 'sync-service-build':
      return encodeSyncMessage(m, littleEndian)
    case 'cmap-mcast':
      return encodeCmapMessage(m, littleEndian)
    case 'service-raw':
      return m.bytes.slice()
    default:
      return encodeCpgMessage(m, littleEndian)
  }
}

/** The group a service message travels in: `sync` for sync messages, `a` for the rest. */
export function groupOf(m: ServiceMessage): string {
  return m.kind.startsWith('sync-') ? GROUP_SYNC : GROUP_A
}

/** Encodes a service message with its group header, as one totempg message. */
export function encodeAppMessage(m: ServiceMessage, littleEndian = true): Uint8Array {
  return encodePgGroupMessage(
    { groups: [groupOf(m)], body: encodeServiceMessage(m, littleEndian) },
    littleEndian,
  )
}
