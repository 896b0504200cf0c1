(globalThis as any).MRDBG = (process.env.MRDBG ?? "").split(",").filter(Boolean).map(Number)
import { runMultiringSeed } from '../src/multiring-run.ts'
const [seed, rings, gw, preset, node] = process.argv.slice(2)
const r = await runMultiringSeed({ seed: Number(seed), ...(Number(rings) > 0 ? { rings: Number(rings) } : {}), ...(Number(gw) > 0 ? { gatewaysPerPair: Number(gw) } : {}), preset, debug: true })
console.log(JSON.stringify(r.layout))
const d = r.debug ?? {}
for (const [k, v] of Object.entries(d)) if (node === undefined || node === k) console.log(k, JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? String(x) : x)))
