/**
 * Declared limits. Every queue, list and buffer in totem-ts is bounded by one of these; the
 * numbers follow corosync 3.1.7 (reference §1 and §3.8) unless stated.
 */

/** Most processors in one ring (`PROCESSOR_COUNT_MAX`). */
export const NODES_MAX = 384
/** Largest application message (`MESSAGE_SIZE_MAX`, 1 MiB). */
export const MESSAGE_BYTES_MAX: number = 1024 * 1024
/** Most entries in an ORF token's retransmit list (`RETRANSMIT_ENTRIES_MAX`). */
export const RTR_ENTRIES_MAX = 30
/** Largest ORF token accepted (Debian's CVE-2025-30472 patch: token storage). */
export const TOKEN_BYTES_MAX = 1500
/** Default `totem.netmtu`. */
export const NETMTU_DEFAULT = 1500
/** Largest `totem.netmtu` we accept (jumbo frames). */
export const NETMTU_MAX = 65_535
/** Smallest `totem.netmtu` that still leaves room for a commit token of a few nodes. */
export const NETMTU_MIN = 576
/** What totemsrp subtracts from netmtu (2 × 45: two mcast headers, for encapsulation). */
export const NETMTU_OVERHEAD = 90
/** Receive buffer size of corosync's udpu transport: larger datagrams are dropped. */
export const DATAGRAM_BYTES_MAX: number = 384 * 8 * 2 * 22 + 1024
/** Longest CPG group name in bytes (`CPG_MAX_NAME_LENGTH`). */
export const GROUP_NAME_BYTES_MAX = 128
/** Sort-queue window in sequence numbers (`QUEUE_RTR_ITEMS_SIZE_MAX`). */
export const SORT_QUEUE_SEQS = 16_384
/** Service ids a sync SERVICE_BUILD can list. */
export const SYNC_SERVICES_MAX = 128
