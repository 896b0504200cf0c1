import { describe, expect, it } from 'vitest'
import { corosyncStats, flattenCounters, snakeCase } from '../src/index.ts'

describe('corosync counter names', () => {
  it('snake_cases field names', () => {
    expect(snakeCase('orfTokenTx')).toBe('orf_token_tx')
    expect(snakeCase('operationalTokenLost')).toBe('operational_token_lost')
    expect(snakeCase('cryptoKeyId')).toBe('crypto_key_id')
    expect(snakeCase('p99')).toBe('p99')
  })
  it("maps SrpStats onto totemsrp_stats_t's names, rx_msg_dropped as a total", () => {
    const c = corosyncStats({
      nodeId: 2,
      ringId: '1.8',
      srp: {
        orfTokenTx: 5,
        memJoinTx: 1,
        memMergeRx: 2,
        commitTokenTx: 3,
        mcastRetx: 4,
        gatherEntered: 6,
        consensusTimeouts: 7,
        rxDropped: { ERR_WIRE_TRUNCATED: 2, ERR_WIRE_BAD_TYPE: 1 },
      },
      transport: {
        rxDropped: { ERR_CRYPTO_AUTH: 3 },
        peers: [{ nodeId: 3, datagramsTx: 9 }],
        members: [1, 2, 3],
      },
      eventLoopDelayMs: { mean: 1, p99: 2, max: 3 },
    })
    expect(c.srp).toEqual({
      orf_token_tx: 5,
      memb_join_tx: 1,
      memb_merge_detect_rx: 2,
      memb_commit_token_tx: 3,
      mcast_retx: 4,
      gather_entered: 6,
      consensus_timeouts: 7,
      rx_msg_dropped: 3,
      rx_msg_dropped_by_code: { ERR_WIRE_TRUNCATED: 2, ERR_WIRE_BAD_TYPE: 1 },
    })
    const flat = Object.fromEntries(flattenCounters(c))
    expect(flat.orf_token_tx).toBe('5')
    expect(flat.ring_id).toBe('1.8')
    expect(flat['transport.rx_dropped.ERR_CRYPTO_AUTH']).toBe('3')
    expect(flat['transport.peers.3.datagrams_tx']).toBe('9')
    expect(flat['transport.members']).toBe('1 2 3')
    expect(flat['event_loop_delay_ms.p99']).toBe('2')
  })
})
