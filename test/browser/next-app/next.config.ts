// Next.js config of the test app: the workspace packages ship TypeScript sources, so Next compiles them.
import { resolve } from 'node:path'
import type { NextConfig } from 'next'

const config: NextConfig = {
  transpilePackages: ['@stripe402/fetch', '@stripe402/server', '@stripe402/protocol'],
  // The pnpm workspace root, so the symlinked workspace packages resolve.
  turbopack: { root: resolve(import.meta.dirname, '../../..') },
  outputFileTracingRoot: resolve(import.meta.dirname, '../../..'),
}

export default config
