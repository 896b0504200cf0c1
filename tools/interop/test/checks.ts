/**
 * What the suite reads from the tools' output and how it compares the clients' logs. Pure
 * functions, unit-tested in checks.test.ts.
 */

/** Node ids of `corosync-quorumtool -l`'s membership table. */
export function parseQuorumtoolMembers(out: string): number[] {
  const ids: number[] = []
  let inTable = false
  for (const line of out.split('\n')) {
    if (/^\s*Nodeid\s+Votes/.test(line)) {
      inTable = true
      continue
    }
    const m = inTable ? /^\s+(\d+)\s+\d+/.exec(line) : null
    if (m) ids.push(Number(m[1]))
  }
  return ids.sort((a, b) => a - b)
}

/** Votes per node id from `corosync-quorumtool -l`'s membership table. */
export function parseQuorumtoolVotes(out: string): Map<number, number> {
  const votes = new Map<number, number>()
  let inTable = false
  for (const line of out.split('\n')) {
    if (/^\s*Nodeid\s+Votes/.test(line)) {
      inTable = true
      continue
    }
    const m = inTable ? /^\s+(\d+)\s+(\d+)/.exec(line) : null
    if (m) votes.set(Number(m[1]), Number(m[2]))
  }
  return votes
}

/** `Quorate: Yes` of `corosync-quorumtool -s`. */
export function parseQuorumtoolQuorate(out: string): boolean | undefined {
  const m = /^Quorate:\s+(Yes|No)\s*$/m.exec(out)
  return m ? m[1] === 'Yes' : undefined
}

/** `Ring ID: 1.d` of `corosync-quorumtool -s` (hex seq) as EVS-TRACE's decimal `"1.13"`. */
export function parseQuorumtoolRingId(out: string): string | undefined {
  const m = /^Ring ID:\s+([0-9a-f]+)\.([0-9a-f]+)\s*$/m.exec(out)
  if (!m) return undefined
  return `${Number.parseInt(m[1] as string, 16)}.${BigInt(`0x${m[2] as string}`).toString()}`
}

/** Node ids `corosync-cfgtool -s` shows as connected or localhost. */
export function parseCfgtoolStatus(out: string): number[] {
  const ids: number[] = []
  for (const m of out.matchAll(/nodeid:\s+(\d+):\s+(localhost|connected)/g)) ids.push(Number(m[1]))
  return ids.sort((a, b) => a - b)
}

/** `Ring ID 1.13` and `Members (3): 1 2 3` of `totem-cfgtool -s`. */
export function parseTotemCfgtool(out: string): { ringId?: string; members: number[] } {
  const ring = /^Ring ID (\S+)$/m.exec(out)?.[1]
  const members = /^Members \(\d+\):((?: \d+)*)$/m.exec(out)?.[1]
  return {
    ...(ring === undefined ? {} : { ringId: ring }),
    members: (members ?? '')
      .trim()
      .split(/\s+/)
      .filter((s) => s !== '')
      .map(Number),
  }
}

/** `(group, pid, nodeid)` rows of `corosync-cpgtool`. */
export function parseCpgtool(out: string): { group: string; pid: number; nodeId: number }[] {
  const rows: { group: string; pid: number; nodeId: number }[] = []
  let group: string | undefined
  for (const line of out.split('\n')) {
    if (line.startsWith('Group Name') || line.trim() === '') continue
    const m = /^\s+(\d+)\s+(\d+)\s/.exec(line)
    if (m && group !== undefined) rows.push({ group, pid: Number(m[1]), nodeId: Number(m[2]) })
    else if (!/^\s/.test(line)) group = line.trim()
  }
  return rows
}

/** One client's group log: `D <id>` deliveries and `C <nodeid>:<pid>,…` configuration changes. */
export type SeqLog = readonly string[]

export function parseSeq(text: string): SeqLog {
  return text.split('\n').filter((l) => l.startsWith('D ') || l.startsWith('C '))
}

/**
 * Compares two clients' group logs, `a` and `b`, from the first configuration change that lists
 * both of them (`aKey`/`bKey` are `"nodeid:pid"`): from there on one log must be a prefix of the
 * other (a client that crashed or left stops early; nothing else may differ). Returns a
 * description of the first difference, or undefined when they agree. `overlap` is the number of
 * lines compared.
 */
export function compareSeq(
  a: SeqLog,
  aKey: string,
  b: SeqLog,
  bKey: string,
): { diff?: string; overlap: number } {
  const both = (l: string): boolean => {
    if (!l.startsWith('C ')) return false
    const members = l.slice(2).split(',')
    return members.includes(aKey) && members.includes(bKey)
  }
  const i = a.findIndex(both)
  const j = b.findIndex(both)
  // Never in the group together (e.g. one incarnation of a node and the next): nothing to compare.
  if (i < 0 && j < 0) return { overlap: 0 }
  if (i < 0 || j < 0)
    return { diff: `only ${i < 0 ? bKey : aKey} saw a configuration with both`, overlap: 0 }
  const n = Math.min(a.length - i, b.length - j)
  for (let k = 0; k < n; k++) {
    if (a[i + k] !== b[j + k])
      return {
        diff: `line ${k} after both joined: ${aKey} has "${a[i + k]}", ${bKey} has "${b[j + k]}"`,
        overlap: k,
      }
  }
  return { overlap: n }
}
