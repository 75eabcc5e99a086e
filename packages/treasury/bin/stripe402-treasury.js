#!/usr/bin/env node
// Launches the CLI. Published, it runs the build in dist/. Inside the stripe402 repository
// (src/ present), workspace packages resolve to TypeScript source, so it runs that source via tsx.
import { existsSync } from 'node:fs'

const source = new URL('../src/cli.ts', import.meta.url)
let cli
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api')
  register()
  cli = await import(source.href)
} else {
  cli = await import('../dist/cli.js')
}
await cli.run()
