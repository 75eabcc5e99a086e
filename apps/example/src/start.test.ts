/** `npm run start:example` and the demo stop in one line on what a newcomer can fix. */
import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { ledgerFromEnv } from './server'

const root = fileURLToPath(new URL('../../..', import.meta.url))
const tsx = join(root, 'node_modules/.bin/tsx')

function run(script: string, env: Record<string, string>) {
  const base = { ...process.env }
  for (const name of ['REDIS_URL', 'DATABASE_URL', 'PORT', 'STRIPE_SECRET_KEY']) delete base[name]
  const child = spawn(tsx, [join(root, 'apps/example/src', script)], {
    env: {
      ...base,
      STRIPE_EMULATOR_PORT: '0',
      STRIPE402_DATA_DIR: mkdtempSync(join(tmpdir(), 'stripe402-start-')),
      ...env,
    },
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => (stdout += chunk))
  child.stderr.on('data', (chunk) => (stderr += chunk))
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGTERM'), 30_000)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

const noStack = (text: string) => expect(text).not.toMatch(/^\s+at /m)

describe('npm run start:example', () => {
  it('names the port in use and the setting to change, in one line, exit 1', async () => {
    const taken = createServer()
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
    const { port } = taken.address() as AddressInfo
    try {
      const result = await run('start.ts', { PORT: String(port) })
      expect(result.code).toBe(1)
      expect(result.stderr.trim().split('\n')).toHaveLength(1)
      expect(result.stderr).toContain(`port ${port} is already in use`)
      expect(result.stderr).toContain('PORT=')
      noStack(result.stderr)
    } finally {
      taken.close()
    }
  })

  it('stops in one line when REDIS_URL names a Redis that is down', async () => {
    const result = await run('start.ts', { REDIS_URL: 'redis://127.0.0.1:1', PORT: '0' })
    expect(result.code).toBe(1)
    expect(result.stderr.trim()).toMatch(
      /^cannot reach Redis at redis:\/\/127\.0\.0\.1:1: .*ECONNREFUSED.*; unset REDIS_URL to use the embedded SQLite ledger$/,
    )
    expect(result.stdout).not.toMatch(/on Redis|ledger\s+Redis/)
  })
})

describe('npm run demo', () => {
  it('stops in one line when REDIS_URL names a Redis that is down, without ioredis traces', async () => {
    const result = await run('demo.ts', { REDIS_URL: 'redis://127.0.0.1:1' })
    expect(result.code).toBe(1)
    expect(result.stderr.trim()).toMatch(
      /^cannot reach Redis at redis:\/\/127\.0\.0\.1:1: .*; unset REDIS_URL to use the embedded SQLite ledger$/,
    )
    expect(result.stderr + result.stdout).not.toMatch(/ioredis|on Redis|card charges/)
    noStack(result.stderr)
  })
})

describe('ledgerFromEnv', () => {
  it('refuses a Redis or PostgreSQL it cannot reach, naming the setting to unset', async () => {
    await expect(ledgerFromEnv({ REDIS_URL: 'redis://127.0.0.1:1' })).rejects.toThrow(
      /^cannot reach Redis at redis:\/\/127\.0\.0\.1:1: connect ECONNREFUSED .*; unset REDIS_URL to use the embedded SQLite ledger$/,
    )
    await expect(
      ledgerFromEnv({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/test' }),
    ).rejects.toThrow(
      /^cannot reach PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:1\/test: connect ECONNREFUSED .*; unset DATABASE_URL to use the embedded SQLite ledger$/,
    )
  })
})
