/** Bundles an entry for a runtime with esbuild: what that runtime runs is our source, built the way an app's bundler would. */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { build } from 'esbuild'

/** The package.json `exports` conditions each runtime's own bundler (or loader) picks, e.g. `stripe`'s worker build. */
const CONDITIONS = {
  bun: ['bun', 'worker'],
  deno: ['deno', 'worker'],
  workerd: ['workerd', 'worker', 'browser'],
} as const

export type BundleTarget = keyof typeof CONDITIONS

const ENTRIES = resolve(import.meta.dirname, '../entries')

/**
 * Writes `entries/<entry>.ts` as one ES module into a fresh temporary folder, with `define`d
 * globals baked in, and returns its path. `node:` imports stay imports: whether the runtime
 * provides them is part of what is tested.
 */
export async function bundle(
  entry: string,
  target: BundleTarget,
  define: Record<string, unknown>,
): Promise<string> {
  const result = await build({
    entryPoints: [join(ENTRIES, `${entry}.ts`)],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    conditions: [...CONDITIONS[target]],
    mainFields: ['module', 'main'],
    // The optional peer the engine imports only inside `PostgresLedger.embedded()`: these apps
    // use MemoryLedger, as an edge app without PGlite installed would.
    external: ['node:*', '@electric-sql/pglite'],
    define: Object.fromEntries(
      Object.entries(define).map(([name, value]) => [name, JSON.stringify(value)]),
    ),
    logLevel: 'silent',
  })
  const [output] = result.outputFiles
  if (!output) throw new Error(`esbuild wrote nothing for ${entry}`)
  const dir = mkdtempSync(join(tmpdir(), `stripe402-${target}-`))
  const file = join(dir, `${entry}.mjs`)
  writeFileSync(file, output.text)
  return file
}
