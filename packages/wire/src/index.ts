/**
 * Every message of the Totem single ring, byte-for-byte compatible with corosync 3.1.7 over
 * `udpu` (reference: shared/reference/corosync-totem-wire.md), plus totempg packing, fragmentation
 * and reassembly, and the service messages corosync carries (sync, CPG, cmap).
 *
 * Decoders are safe on hostile input: every length, count and offset is checked before use, and
 * the only exception they throw is {@link WireError} with a stable `code`. Encoders write
 * little-endian unless asked otherwise; decoders accept both byte orders (detected from the
 * magic).
 *
 * @example
 * ```ts
 * import { decodeTotemMessage, decodePgPacket, decodeAppMessage, isWireError } from '@totem-ts/wire'
 *
 * try {
 *   const m = decodeTotemMessage(datagram)
 *   if (m.type === 'mcast' && m.encapsulated === 2) {
 *     const pg = decodePgPacket(m.payload, true)
 *     for (const piece of pg.pieces) console.log(decodeAppMessage(piece, true).message?.kind)
 *   }
 * } catch (e) {
 *   if (isWireError(e)) drops[e.code] = (drops[e.code] ?? 0) + 1
 *   else throw e
 * }
 * ```
 *
 * @packageDocumentation
 */

export {
  COMMIT_MEMBER_BYTES,
  COMMIT_TOKEN_BYTES,
  type CommitMember,
  decodeMembCommitToken,
  encodeMembCommitToken,
  type MembCommitToken,
} from './commit-token.ts'
export { isWireError, WireError, WireErrorCode } from './errors.ts'
export {
  decodeHeader,
  detectByteOrder,
  HEADER_BYTES,
  type HeaderFields,
  MESSAGE_TYPE_NAMES,
  MessageType,
  RING_ID_BYTES,
  TOTEM_MAGIC,
  TOTEM_VERSION,
  type TotemHeader,
} from './header.ts'
export { decodeMembJoin, encodeMembJoin, isLeave, JOIN_BYTES, type MembJoin } from './join.ts'
export {
  decodeEncapsulated,
  decodeMcast,
  Encapsulation,
  encodeMcast,
  MCAST_HEADER_BYTES,
  type Mcast,
  type McastInput,
} from './mcast.ts'
export {
  decodeMembMergeDetect,
  encodeMembMergeDetect,
  MERGE_DETECT_BYTES,
  type MembMergeDetect,
} from './merge-detect.ts'
export {
  decodeOrfToken,
  encodeOrfToken,
  ORF_TOKEN_BYTES,
  type OrfToken,
  RTR_ITEM_BYTES,
  type RtrItem,
} from './orf-token.ts'
export {
  type Assembler,
  type AssemblerOptions,
  type AssemblerStats,
  createAssembler,
} from './pg/assembler.ts'
export {
  decodePgGroupMessage,
  encodePgGroupHeader,
  encodePgGroupMessage,
  GROUP_A,
  GROUP_SYNC,
  GROUPS_PER_MESSAGE_MAX,
  PG_GROUP_NAME_BYTES_MAX,
  type PgGroupMessage,
} from './pg/group.ts'
export {
  createPacker,
  type Packer,
  type PackerOptions,
  type PackerStats,
  pgPacketBytesForNetmtu,
} from './pg/packer.ts'
export {
  decodePgPacket,
  encodePgPacket,
  PG_HEADER_BYTES,
  type PgPacket,
  pgPacketBytes,
} from './pg/packet.ts'
export {
  CMAP_ITEM_BYTES,
  CMAP_MCAST_HEADER_BYTES,
  type CmapItem,
  type CmapMessage,
  CmapReason,
  decodeCmapMessage,
  encodeCmapMessage,
} from './service/cmap.ts'
export {
  CPG_DOWNLIST_BYTES,
  CPG_JOINLIST_ENTRY_BYTES,
  CPG_MCAST_HEADER_BYTES,
  CPG_NAME_BYTES,
  CPG_PARTIAL_MCAST_HEADER_BYTES,
  CPG_PROCJOIN_BYTES,
  CpgFunction,
  type CpgMessage,
  CpgPartialType,
  CpgReason,
  decodeCpgMessage,
  encodeCpgMessage,
} from './service/cpg.ts'
export {
  REQUEST_HEADER_BYTES,
  RESPONSE_HEADER_BYTES,
  SERVICE_EXEC_FUNCTIONS,
  ServiceId,
  serviceMessageId,
} from './service/request.ts'
export {
  type DecodedAppMessage,
  decodeAppMessage,
  decodeExecMessage,
  encodeAppMessage,
  encodeServiceMessage,
  groupOf,
  type RawServiceMessage,
  type ServiceMessage,
} from './service/service-message.ts'
export {
  decodeSyncMessage,
  encodeSyncMessage,
  SYNC_BARRIER_BYTES,
  SYNC_SERVICE_BUILD_BYTES,
  type SyncMessage,
  SyncMessageId,
} from './service/sync.ts'
export {
  decodeVotequorumNodeinfo,
  encodeVotequorumNodeinfo,
  VOTEQUORUM_NODEINFO_BYTES,
  VotequorumFlag,
  type VotequorumNodeinfo,
} from './service/votequorum.ts'
export {
  decodeTokenHoldCancel,
  encodeTokenHoldCancel,
  TOKEN_HOLD_CANCEL_BYTES,
  type TokenHoldCancel,
} from './token-hold-cancel.ts'
export { decodeTotemMessage, encodeTotemMessage, type TotemMessage } from './totem-message.ts'
