import { defineProject } from 'vitest/config'

/**
 * Settings every package's vitest config extends. Tests run on the TypeScript sources: the custom
 * `@totem-ts/source` export condition points at `src/index.ts`, and it has to be in
 * `ssr.resolve.conditions` too (vitest runs tests through the SSR pipeline), which since Vite 6
 * replaces the defaults, hence the full list.
 */
export const sourceConditions: string[] = [
  '@totem-ts/source',
  'module',
  'node',
  'development|production',
]

export function totemProject(name: string): ReturnType<typeof defineProject> {
  return defineProject({
    resolve: { conditions: sourceConditions },
    ssr: { resolve: { conditions: sourceConditions } },
    test: {
      name,
      include: ['test/**/*.test.ts'],
      environment: 'node',
      pool: 'threads',
      // Generous: the tools' tests start the real command several times through its launcher
      // (tsx in a source checkout, about 1 s a start idle, over 5 s on a loaded 2-core machine,
      // where a 30 s default failed keygen's and cpgtool's usage tests). Not a speed bound.
      testTimeout: 120_000,
      hookTimeout: 60_000,
    },
  })
}
