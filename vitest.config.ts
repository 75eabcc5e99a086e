import { defineConfig } from 'vitest/config'

// One root config; each package keeps a small vitest.config.ts of its own.
export default defineConfig({
  test: {
    projects: [
      'packages/*/vitest.config.ts',
      'apps/*/vitest.config.ts',
      'test/vitest.config.ts',
      'test/runtimes/vitest.config.ts',
      'test/browser/vitest.config.ts',
    ],
  },
})
