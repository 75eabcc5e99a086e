/**
 * Writes spec/schemas/<Name>.json from the zod schemas in @stripe402/protocol.
 * Run: `pnpm --filter @stripe402/protocol gen:schemas` (add `--check` to only verify).
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { stripe402JsonSchemas } from '../packages/protocol/src/json-schema'

/** Absolute path of the checked-in schema folder. */
export const SCHEMA_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'spec', 'schemas')

/** File name → exact file contents, as they must be checked in. */
export function renderSchemaFiles(): Record<string, string> {
  const files: Record<string, string> = {}
  for (const [name, schema] of Object.entries(stripe402JsonSchemas())) {
    files[`${name}.json`] = `${JSON.stringify(schema, null, 2)}\n`
  }
  return files
}

/** Names of checked-in files that differ from, are missing from, or are not in the generated set. */
export function staleSchemaFiles(dir = SCHEMA_DIR): string[] {
  const expected = renderSchemaFiles()
  const present = safeList(dir).filter((f) => f.endsWith('.json'))
  const stale = Object.keys(expected).filter(
    (f) => !present.includes(f) || readFileSync(join(dir, f), 'utf8') !== expected[f],
  )
  return [...stale, ...present.filter((f) => !(f in expected))].sort()
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}

function main(): void {
  if (process.argv.includes('--check')) {
    const stale = staleSchemaFiles()
    if (stale.length > 0) {
      console.error(
        `spec/schemas is stale (${stale.join(', ')}): run \`pnpm --filter @stripe402/protocol gen:schemas\`.`,
      )
      process.exit(1)
    }
    console.log('spec/schemas is up to date.')
    return
  }
  mkdirSync(SCHEMA_DIR, { recursive: true })
  const files = renderSchemaFiles()
  for (const f of safeList(SCHEMA_DIR)) {
    if (f.endsWith('.json') && !(f in files)) rmSync(join(SCHEMA_DIR, f))
  }
  for (const [name, text] of Object.entries(files)) writeFileSync(join(SCHEMA_DIR, name), text)
  console.log(`Wrote ${Object.keys(files).length} schemas to spec/schemas.`)
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main()
