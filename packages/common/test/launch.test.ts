/**
 * The shared bin launcher (launch.mjs): a command's TypeScript entry through tsx in a checkout,
 * its dist/ entry when there are no sources, the child's exit code, signals passed on.
 */
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'

const LAUNCH = pathToFileURL(join(import.meta.dirname, '../launch.mjs')).href
const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

/** A command in a temp dir: bin/cmd.mjs, and the given src/ and dist/ files. */
function command(files: Record<string, string>, kind = 'tool'): string {
  const dir = mkdtempSync(join(tmpdir(), 'launch-'))
  dirs.push(dir)
  for (const sub of ['bin', 'src', 'dist']) mkdirSync(join(dir, sub))
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n')
  writeFileSync(
    join(dir, 'bin/cmd.mjs'),
    `import { launch } from '${LAUNCH}'\nawait launch(import.meta.url, { name: 'cmd', kind: '${kind}' })\n`,
  )
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text)
  return join(dir, 'bin/cmd.mjs')
}

function run(
  bin: string,
  args: readonly string[],
  onStart?: (pid: number, out: () => string) => void,
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    p.stdout.on('data', (b: Buffer) => {
      out += b.toString()
    })
    p.stderr.on('data', (b: Buffer) => {
      out += b.toString()
    })
    onStart?.(p.pid as number, () => out)
    p.on('exit', (code) => resolve({ code, out }))
  })
}

describe('launch', () => {
  it('runs src/main.ts through tsx with the arguments, and exits with its code', async () => {
    const bin = command({
      'src/main.ts': `const n: number = 3\nconsole.log('ts', process.argv.slice(2).join(','))\nprocess.exit(n)\n`,
    })
    const r = await run(bin, ['a', '--b'])
    expect(r.out).toBe('ts a,--b\n')
    expect(r.code).toBe(3)
  })

  it('imports dist/main.js in this process when there are no sources', async () => {
    const bin = command({
      'dist/main.js': `console.log('dist', process.argv.slice(2).join(','))\n`,
    })
    rmSync(join(bin, '../../src'), { recursive: true })
    const r = await run(bin, ['x'])
    expect(r.out).toBe('dist x\n')
    expect(r.code).toBe(0)
  })

  for (const kind of ['tool', 'service']) {
    it(`passes SIGTERM on to a ${kind}, and exits as the child did`, async () => {
      const bin = command(
        {
          'src/main.ts': `process.on('SIGTERM', () => { console.log('got TERM'); process.exit(7) })\nconsole.log('up')\nsetInterval(() => {}, 1000)\n`,
        },
        kind,
      )
      const r = await run(bin, [], (pid, out) => {
        const t = setInterval(() => {
          if (out().includes('up')) {
            clearInterval(t)
            process.kill(pid, 'SIGTERM')
          }
        }, 20)
      })
      expect(r.out).toBe('up\ngot TERM\n')
      expect(r.code).toBe(7)
    })
  }
})
