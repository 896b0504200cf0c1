import { invalidArgument, type RingId, SYNC_SERVICES_MAX } from '@totem-ts/common'
import { checkInt32, Reader, Writer } from '../cursor.ts'
import { wireError } from '../errors.ts'
import { readRingId, writeRingId } from '../header.ts'
import { peekRequestId, readRequestHeader, writeRequestHeader } from './request.ts'

/** Size of a sync BARRIER (and MEMB_DETERMINE). */
export const SYNC_BARRIER_BYTES = 32
/** Size of a sync SERVICE_BUILD. */
export const SYNC_SERVICE_BUILD_BYTES = 552

/** Message ids of the `sync` group (compared without a service shift). */
export const SyncMessageId = { Barrier: 0, ServiceBuild: 1, MembDetermine: 2 } as const

/** A sync message (reference §7.1), carried in group `sync`. */
export type SyncMessage =
  | {
      readonly kind: 'sync-barrier' | 'sync-memb-determine'
      readonly ringId: RingId
      readonly padding?: Uint8Array
    }
  | {
      readonly kind: 'sync-service-build'
      readonly ringId: RingId
      /** Service ids with sync handlers, e.g. `[0, 2, 3]`. */
      readonly services: readonly number[]
      readonly padding?: Uint8Array
    }

/** Decodes the body of a `sync` group message. */
export function decodeSyncMessage(body: Uint8Array, littleEndian: boolean): SyncMessage {
  const id = peekRequestId(body, littleEndian, 'sync')
  const what = id === SyncMessageId.ServiceBuild ? 'sync-service-build' : 'sync-barrier'
  const rr = new Reader(body, littleEndian, what)
  readRequestHeader(rr, body.length)
  switch (id) {
    case SyncMessageId.Barrier:
    case SyncMessageId.MembDetermine: {
      const ringId = readRingId(rr)
      rr.pad(4)
      rr.end()
      const padding = rr.padding()
      const kind = id === SyncMessageId.Barrier ? 'sync-barrier' : 'sync-memb-determine'
      return padding ? { kind, ringId, padding } : { kind, ringId }
    }
    case SyncMessageId.ServiceBuild: {
      const ringId = readRingId(rr)
      rr.pad(4)
      const count = rr.i32('service_list_entries')
      rr.pad(4)
      if (count < 0 || count > SYNC_SERVICES_MAX) {
        wireError('ERR_WIRE_TOO_MANY', 'sync service count out of range', {
          count,
          max: SYNC_SERVICES_MAX,
        })
      }
      rr.need(4 * SYNC_SERVICES_MAX, 'service_list')
      const services: number[] = new Array(count)
      for (let i = 0; i < count; i++) services[i] = rr.i32('service_list')
      rr.pad(4 * (SYNC_SERVICES_MAX - count), 'service_list (unused)')
      rr.end()
      const padding = rr.padding()
      return padding
        ? { kind: 'sync-service-build', ringId, services, padding }
        : { kind: 'sync-service-build', ringId, services }
    }
    default:
      return wireError('ERR_WIRE_BAD_TYPE', 'unknown sync message id', { id })
  }
}

/** Encodes the body of a `sync` group message. */
export function encodeSyncMessage(m: SyncMessage, littleEndian = true): Uint8Array {
  if (m.kind === 'sync-service-build') {
    if (m.services.length > SYNC_SERVICES_MAX)
      invalidArgument('too many sync services', { count: m.services.length })
    const w = new Writer(SYNC_SERVICE_BUILD_BYTES, littleEndian, m.padding)
    writeRequestHeader(w, SyncMessageId.ServiceBuild, SYNC_SERVICE_BUILD_BYTES)
    writeRingId(w, m.ringId)
    w.pad(4)
    w.i32(m.services.length)
    w.pad(4)
    for (const s of m.services) {
      checkInt32(s, 'services[]')
      w.i32(s)
    }
    w.pad(4 * (SYNC_SERVICES_MAX - m.services.length))
    return w.done()
  }
  const w = new Writer(SYNC_BARRIER_BYTES, littleEndian, m.padding)
  writeRequestHeader(
    w,
    m.kind === 'sync-barrier' ? SyncMessageId.Barrier : SyncMessageId.MembDetermine,
    SYNC_BARRIER_BYTES,
  )
  writeRingId(w, m.ringId)
  w.pad(4)
  return w.done()
}
