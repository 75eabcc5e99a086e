/**
 * Finds the Bun, Deno and workerd binaries the test package installs from the npm registry.
 * A missing one skips its tests with a printed reason, unless STRIPE402_REQUIRE_SERVICES=1 (set
 * by .ci/run), where it fails the run instead of hiding it — as test/services.ts does for Redis.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'

export type RuntimeName = 'bun' | 'deno' | 'workerd'

export interface Runtime {
  name: RuntimeName
  available: boolean
  /** The executable (workerd is started by Miniflare, which finds its own). */
  binary?: string
  /** What `--version` printed, e.g. `bun 1.4.5`, `deno 2.9.6`, `workerd 2026-07-30`. */
  version?: string
  /** Why it is unavailable (printed when tests skip). */
  reason?: string
}

const require = createRequire(import.meta.url)
const run = promisify(execFile)

/** Where each npm package leaves its real binary once its postinstall has run. */
function binaryOf(name: RuntimeName): string {
  if (name === 'bun') return join(dirname(require.resolve('bun/package.json')), 'bin', 'bun.exe')
  if (name === 'deno') return join(dirname(require.resolve('deno/package.json')), 'deno')
  const miniflare = createRequire(require.resolve('miniflare'))
  return join(dirname(miniflare.resolve('workerd/package.json')), 'bin', 'workerd')
}

async function probe(name: RuntimeName): Promise<Runtime> {
  let binary: string
  try {
    binary = binaryOf(name)
  } catch (error) {
    return { name, available: false, reason: `the npm package is not installed (${error})` }
  }
  if (!existsSync(binary))
    return {
      name,
      available: false,
      reason: `${binary} is missing (did pnpm skip the package's postinstall? see onlyBuiltDependencies)`,
    }
  try {
    const { stdout } = await run(binary, ['--version'], { timeout: 15_000 })
    const version = stdout.trim().split('\n')[0] ?? ''
    return { name, available: true, binary, version: name === 'bun' ? `bun ${version}` : version }
  } catch (error) {
    return { name, available: false, reason: `${binary} --version failed: ${error}` }
  }
}

const cache = new Map<RuntimeName, Promise<Runtime>>()

/** For `describe.skipIf(!runtime.available)`: prints why it skips, or throws under STRIPE402_REQUIRE_SERVICES=1. */
export async function requireRuntime(name: RuntimeName): Promise<Runtime> {
  let pending = cache.get(name)
  if (!pending) {
    pending = probe(name)
    cache.set(name, pending)
  }
  const runtime = await pending
  if (!runtime.available) {
    const message = `${name} tests skipped: ${runtime.reason} (run pnpm install to fetch it from the npm registry)`
    if (process.env.STRIPE402_REQUIRE_SERVICES === '1')
      throw new Error(
        `STRIPE402_REQUIRE_SERVICES=1 but ${message.replace(' tests skipped', ' is unavailable')}`,
      )
    console.warn(`[stripe402] ${message}`)
  }
  return runtime
}
