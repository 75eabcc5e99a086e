import { readdirSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { renderSchemaFiles, SCHEMA_DIR, staleSchemaFiles } from '../../../scripts/gen-schemas'
import { stripe402JsonSchemas } from './json-schema'

/** Every object schema's properties, at any depth, with their paths. */
function properties(schema: unknown, path: string): Array<[string, Record<string, unknown>]> {
  if (schema === null || typeof schema !== 'object') return []
  const s = schema as Record<string, unknown>
  const own = s.properties
    ? Object.entries(s.properties as Record<string, Record<string, unknown>>).map(
        ([k, v]) => [`${path}.${k}`, v] as [string, Record<string, unknown>],
      )
    : []
  return [...own, ...Object.entries(s).flatMap(([k, v]) => properties(v, `${path}/${k}`))]
}

describe('spec/schemas', () => {
  it('are up to date with the zod schemas (run `pnpm --filter @stripe402/protocol gen:schemas` if not)', () => {
    expect(staleSchemaFiles()).toEqual([])
    expect(readdirSync(SCHEMA_DIR).sort()).toEqual(Object.keys(renderSchemaFiles()).sort())
  })

  it('are draft 2020-12, titled and described', () => {
    for (const [name, schema] of Object.entries(stripe402JsonSchemas())) {
      expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema')
      expect(schema.title).toBe(name)
      expect(typeof schema.description).toBe('string')
    }
  })

  it('describe every field, so the schema documents the wire format', () => {
    for (const [name, schema] of Object.entries(stripe402JsonSchemas())) {
      for (const [path, prop] of properties(schema, name)) {
        expect(typeof prop.description, `${path} has no description`).toBe('string')
      }
    }
  })

  it('never forbid unknown properties: a newer peer may send fields we do not know', () => {
    expect(JSON.stringify(stripe402JsonSchemas())).not.toContain('"additionalProperties":false')
  })
})
