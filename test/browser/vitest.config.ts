// The `browser` project: the client core in real Chromium, the fetch adapter in a built Next.js app.
import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'browser',
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**', 'next-app/**'],
    // next build takes a minute or more on a small machine.
    testTimeout: 60_000,
    hookTimeout: 240_000,
  },
})
