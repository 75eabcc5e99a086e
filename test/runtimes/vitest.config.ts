import { defineProject } from 'vitest/config'

// Bun, Deno and workerd, each serving or calling our bundled code; the emulator runs in this process.
export default defineProject({
  test: {
    name: 'runtimes',
    include: ['**/*.test.ts'],
    // Each runtime starts once per file; a cold workerd can take several seconds.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
})
