// Caps hold across processes: 50 concurrent calls from one agent through 4 processes sharing one
// store (a SQLite file, a PostgreSQL database) never spend one unit past the cap.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { requireService } from '../../../../test/services'
import { newAgentId } from '../agents/handle'
import { PostgresStore } from './postgres'
import { SqliteStore } from './sqlite'
import type { TreasuryStore } from './types'

const CHILD = join(import.meta.dirname, 'cross-process.child.ts')
const PROCESSES = 4
const CALLS = [13, 13, 12, 12]
const CAPS = { usd: { perCall: 700, total: 10_000 } }

function runChild(target: object, agentId: string, calls: number, startAt: number) {
  return new Promise<number[]>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
      cwd: join(import.meta.dirname, '..', '..'),
      env: {
        ...process.env,
        TREASURY_STORE: JSON.stringify(target),
        AGENT_ID: agentId,
        CALLS: String(calls),
        START_AT: String(startAt),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')))
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')))
    child.once('exit', (code) => {
      const line = /^\{"held":.*\}$/m.exec(out)
      if (code !== 0 || !line) reject(new Error(`child exited ${code}:\n${out}`))
      else resolve((JSON.parse(line[0]) as { held: number[] }).held)
    })
  })
}

async function raceOneAgent(store: TreasuryStore, target: object) {
  const agent = await store.createAgent({
    id: newAgentId(),
    name: `racer-${Math.random().toString(36).slice(2, 8)}`,
    secretHash: 'a'.repeat(64),
    caps: CAPS,
    allowedOrigins: ['https://api.example.com'],
    allowPrivateNetwork: false,
    expiresAt: null,
    createdAt: Date.now(),
  })
  // Far enough ahead for every child to have started and opened the store.
  const startAt = Date.now() + 4_000
  const held = (
    await Promise.all(
      Array.from({ length: PROCESSES }, (_, i) =>
        runChild(target, agent.id, CALLS[i] ?? 0, startAt),
      ),
    )
  ).flat()
  return { agent, held }
}

function expectCapHeld(held: number[], spent: number) {
  expect(held).toHaveLength(50)
  // Every call spent all it held: 14 calls of 700, one of the last 200, then nothing.
  expect(spent).toBe(10_000)
  expect(held.reduce((sum, x) => sum + x, 0)).toBe(10_000)
  expect(held.filter((x) => x > 0).sort((a, b) => b - a)).toEqual([...Array(14).fill(700), 200])
}

describe('caps across 4 processes on one SQLite file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'treasury-race-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('50 concurrent calls never spend past the cap', async () => {
    const file = join(dir, 'treasury.db')
    const store = await SqliteStore.open(file)
    try {
      const { agent, held } = await raceOneAgent(store, { kind: 'sqlite', file })
      const totals = await store.totals(agent.id, Date.now())
      expectCapHeld(held, totals.usd?.total ?? -1)
      expect(totals.usd?.held).toBe(0)
      expect(await store.calls({ agentId: agent.id })).toHaveLength(50)
    } finally {
      await store.close()
    }
  })
})

const svc = await requireService('postgres')

describe.skipIf(!svc.available)('caps across 4 processes on PostgreSQL', () => {
  const schema = `s402_treasury_race_${process.pid}_${Math.random().toString(36).slice(2, 8)}`
  afterAll(async () => {
    const pool = new pg.Pool({ connectionString: svc.url, max: 1 })
    await pool.query(`drop schema if exists "${schema}" cascade`)
    await pool.end()
  })

  it('50 concurrent calls never spend past the cap', async () => {
    const store = await PostgresStore.connect(svc.url, { schema, max: 2 })
    try {
      const { agent, held } = await raceOneAgent(store, { kind: 'postgres', url: svc.url, schema })
      const totals = await store.totals(agent.id, Date.now())
      expectCapHeld(held, totals.usd?.total ?? -1)
      expect(await store.calls({ agentId: agent.id })).toHaveLength(50)
    } finally {
      await store.close()
    }
  })
})
