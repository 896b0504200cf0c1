import { availableParallelism } from 'node:os'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*', 'tools/*'],
    reporters: ['default'],
    // Vitest's default is one worker fewer than the cores, which on CI's 2 cores runs every test
    // file one after another (about 800 s of test files in session 14). Two files at once halves
    // that; the simulator files are pure CPU and the real-process tests tolerate a busy machine
    // (they passed next to simulator soaks).
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
})
