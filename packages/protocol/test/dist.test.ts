import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import * as source from '../src/index'

/** The built package: ESM must import and CJS must require, each exposing the same API as the source. */
const DIST = join(import.meta.dirname, '..', 'dist')
const files = ['index.js', 'index.cjs', 'index.d.ts', 'index.d.cts']
const missing = files.filter((f) => !existsSync(join(DIST, f)))
if (missing.length > 0) {
  console.warn(
    `[protocol] skipping dist tests: ${missing.join(', ')} not built (run \`pnpm --filter @stripe402/protocol build\`).`,
  )
}

// Each check runs in a fresh Node process so neither vitest's loader nor the source aliases are involved.
const probe = `
  const names = Object.keys(api).sort()
  const header = api.encodePaymentPayload({ stripe402Version: 1, clientId: 'cred' })
  let code
  try { api.decodePaymentPayload('!!') } catch (e) { code = e instanceof api.Stripe402Error && e.code }
  console.log(JSON.stringify({ names, header, decoded: api.decodePaymentPayload(header), code, usd: api.minimumTopUpUnits('usd') }))
`
const run = (args: string[]) =>
  JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8', cwd: DIST }))

describe.skipIf(missing.length > 0)('dist', () => {
  const expected = {
    names: Object.keys(source).sort(),
    header: 'eyJzdHJpcGU0MDJWZXJzaW9uIjoxLCJjbGllbnRJZCI6ImNyZWQifQ==',
    decoded: { stripe402Version: 1, clientId: 'cred' },
    code: 'invalid_payment',
    usd: 5000,
  }

  it('dist/index.js imports as ESM with the full API (rebuild if names differ)', () => {
    const url = pathToFileURL(join(DIST, 'index.js')).href
    expect(
      run(['--input-type=module', '-e', `import * as api from ${JSON.stringify(url)}\n${probe}`]),
    ).toEqual(expected)
  })

  it('dist/index.cjs requires as CommonJS with the full API', () => {
    expect(
      run(['-e', `const api = require(${JSON.stringify(join(DIST, 'index.cjs'))})\n${probe}`]),
    ).toEqual(expected)
  })
})
