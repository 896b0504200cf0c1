import { execFileSync, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const bin = fileURLToPath(new URL('../bin/totem-sim.mjs', import.meta.url))

/** Pids of the direct children of `pid` (empty when it has none). */
function childrenOf(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l !== '')
      .map(Number)
  } catch {
    return []
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('bin launcher (source checkout)', () => {
  it('passes SIGTERM on to the tool it runs and exits 128 + 15', async () => {
    const launcher = spawn(process.execPath, [bin, '--seeds', '1000000'], { stdio: 'ignore' })
    const exited = new Promise<number | null>((resolve) => launcher.on('exit', (c) => resolve(c)))
    const pid = launcher.pid as number
    let kids: number[] = []
    for (let i = 0; i < 100 && kids.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 50))
      kids = childrenOf(pid)
    }
    try {
      expect(kids.length).toBe(1)
      launcher.kill('SIGTERM')
      expect(await exited).toBe(143)
      for (let i = 0; i < 100 && kids.some(alive); i++) await new Promise((r) => setTimeout(r, 50))
      expect(kids.filter(alive)).toEqual([])
    } finally {
      for (const k of [pid, ...kids]) if (alive(k)) process.kill(k, 'SIGKILL')
    }
  }, 20_000)
})
