/**
 * The agreed-order check: one total order must fit every incarnation's delivery order.
 */
import type { Incarnation } from './incarnation.ts'
import { list } from './incarnation.ts'
import type { Report } from './properties.ts'

/**
 * Agreed order as in EVS (Moser et al. 1994, spec. 6): there must be one total order of all
 * messages that every incarnation's delivery order follows. Each incarnation's consecutive
 * deliveries become edges of a precedence graph over messages; the order exists exactly when the
 * graph is acyclic. Kahn's algorithm decides that in O(V + E); only when it fails, Tarjan's
 * algorithm finds the strongly connected components, and each cyclic one is reported once, with
 * two incarnations that disagree on a pair of messages when the cycle has such a pair.
 */
export function checkAgreedOrder(
  incs: readonly Incarnation[],
  dMsg: readonly number[],
  msgId: readonly string[],
  report: Report,
): void {
  const V = msgId.length
  const outDeg = new Int32Array(V + 1)
  let E = 0
  for (const inc of incs) {
    for (let i = 1; i < inc.deliveries.length; i++) {
      outDeg[dMsg[inc.deliveries[i - 1]!]! + 1]!++
      E++
    }
  }
  const off = outDeg // prefix sums in place: off[v]..off[v+1]
  for (let v = 0; v < V; v++) off[v + 1]! += off[v]!
  const fill = off.slice(0, V)
  const dst = new Int32Array(E)
  const label = new Int32Array(E)
  const inDeg = new Int32Array(V)
  for (const inc of incs) {
    for (let i = 1; i < inc.deliveries.length; i++) {
      const a = dMsg[inc.deliveries[i - 1]!]!
      const b = dMsg[inc.deliveries[i]!]!
      const k = fill[a]!++
      dst[k] = b
      label[k] = inc.index
      inDeg[b]!++
    }
  }
  // Kahn.
  const queue = new Int32Array(V)
  let head = 0
  let tail = 0
  for (let v = 0; v < V; v++) if (inDeg[v] === 0) queue[tail++] = v
  while (head < tail) {
    const v = queue[head++]!
    for (let k = off[v]!; k < off[v + 1]!; k++) {
      const w = dst[k]!
      if (--inDeg[w]! === 0) queue[tail++] = w
    }
  }
  if (tail === V) return

  // Tarjan (iterative) over the nodes Kahn could not remove; edges never lead back to removed ones.
  const index = new Int32Array(V).fill(-1)
  const low = new Int32Array(V)
  const onStack = new Uint8Array(V)
  const sccStack: number[] = []
  const callV: number[] = []
  const callK: number[] = []
  let counter = 0
  const sccs: number[][] = []
  for (let root = 0; root < V; root++) {
    if (inDeg[root] === 0 || index[root] !== -1) continue
    index[root] = low[root] = counter++
    sccStack.push(root)
    onStack[root] = 1
    callV.push(root)
    callK.push(off[root]!)
    while (callV.length > 0) {
      const top = callV.length - 1
      const v = callV[top]!
      const k = callK[top]!
      if (k < off[v + 1]!) {
        callK[top] = k + 1
        const w = dst[k]!
        if (index[w] === -1) {
          index[w] = low[w] = counter++
          sccStack.push(w)
          onStack[w] = 1
          callV.push(w)
          callK.push(off[w]!)
        } else if (onStack[w] === 1 && index[w]! < low[v]!) {
          low[v] = index[w]!
        }
        continue
      }
      callV.pop()
      callK.pop()
      if (callV.length > 0) {
        const parent = callV[callV.length - 1]!
        if (low[v]! < low[parent]!) low[parent] = low[v]!
      }
      if (low[v] === index[v]) {
        const scc: number[] = []
        let w: number
        do {
          w = sccStack.pop()!
          onStack[w] = 0
          scc.push(w)
        } while (w !== v)
        if (scc.length > 1) sccs.push(scc)
      }
    }
  }

  const sccOf = new Int32Array(V).fill(-1)
  sccs.forEach((scc, i) => {
    for (const v of scc) sccOf[v] = i
  })
  const parentEdge = new Int32Array(V).fill(-1)
  const parentVertex = new Int32Array(V).fill(-1)
  const seen = new Int32Array(V).fill(-1)
  for (let sid = 0; sid < sccs.length; sid++) {
    const scc = sccs[sid]!
    // Shortest cycle through the SCC's smallest message (BFS inside the SCC).
    let s = scc[0]!
    for (const v of scc) if (v < s) s = v
    const bfs: number[] = [s]
    seen[s] = sid
    let closing = -1
    let closingFrom = -1
    for (let h = 0; h < bfs.length && closing === -1; h++) {
      const v = bfs[h]!
      for (let k = off[v]!; k < off[v + 1]!; k++) {
        const w = dst[k]!
        if (sccOf[w] !== sid) continue
        if (w === s) {
          closing = k
          closingFrom = v
          break
        }
        if (seen[w] === sid) continue
        seen[w] = sid
        parentEdge[w] = k
        parentVertex[w] = v
        bfs.push(w)
      }
    }
    // Walk the cycle back to s, collecting its messages and the incarnations whose edges form it.
    const cycle: number[] = [s]
    const labels = new Set<number>()
    if (closing !== -1) {
      labels.add(label[closing]!)
      for (let v = closingFrom; v !== s; v = parentVertex[v]!) {
        cycle.push(v)
        labels.add(label[parentEdge[v]!]!)
      }
      cycle.reverse()
    }
    const inScc = (m: number): boolean => sccOf[m] === sid
    const labelIncs = [...labels].sort((a, b) => a - b).slice(0, 16)
    let witnessed = false
    for (let i = 0; i < labelIncs.length && !witnessed; i++) {
      for (let j = i + 1; j < labelIncs.length && !witnessed; j++) {
        const a = incs[labelIncs[i]!]!
        const b = incs[labelIncs[j]!]!
        const w = pairwiseWitness(a, b, dMsg, inScc)
        if (w === undefined) continue
        witnessed = true
        const [x, y] = w
        report(
          'agreed-order',
          `nodes ${a.node} and ${b.node} deliver ${msgId[x]} and ${msgId[y]} in opposite orders`,
          {
            reason: 'pair',
            node: a.node,
            incarnation: a.ordinal,
            otherNode: b.node,
            otherIncarnation: b.ordinal,
            id: msgId[x]!,
            otherId: msgId[y]!,
          },
        )
      }
    }
    if (witnessed) continue
    const cycleNodes = [...new Set(labelIncs.map((i) => incs[i]!.node))].sort((a, b) => a - b)
    report('agreed-order', `deliveries of nodes ${list(cycleNodes)} admit no common total order`, {
      reason: 'cycle',
      nodes: list(cycleNodes),
      ids: cycle
        .slice(0, 8)
        .map((m) => msgId[m])
        .join(','),
      length: cycle.length,
    })
  }
}

/**
 * Two messages (restricted to `keep`) that `a` delivers as x before y and `b` as y before x, or
 * undefined when they agree on all their common messages.
 */
function pairwiseWitness(
  a: Incarnation,
  b: Incarnation,
  dMsg: readonly number[],
  keep: (m: number) => boolean,
): [number, number] | undefined {
  const posA = new Map<number, number>()
  a.deliveries.forEach((d, i) => {
    const m = dMsg[d]!
    if (keep(m)) posA.set(m, i)
  })
  let prevPos = -1
  let prevMsg = -1
  for (const d of b.deliveries) {
    const m = dMsg[d]!
    const p = posA.get(m)
    if (p === undefined) continue
    // b delivers prevMsg before m; a delivers m before prevMsg.
    if (p < prevPos) return [m, prevMsg]
    prevPos = p
    prevMsg = m
  }
  return undefined
}
