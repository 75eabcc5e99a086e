// Four treasury processes (`stripe402-treasury serve`) on one store — a SQLite file, then PostgreSQL:
// 50 concurrent calls from one agent never spend a unit past its cap, and a revocation made on one
// process is refused on the others at the agent's next request.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { decodePaymentPayload } from '@stripe402/protocol'
import pg from 'pg'
import { afterEach, describe, expect, it } from 'vitest'
import { requireService } from '../../../test/services'
import { ADMIN_TOKEN, useStack } from '../test/support/stack'

const BIN = join(import.meta.dirname, '..', 'bin', 'stripe402-treasury.js')
const stack = useStack()
const children: ChildProcess[] = []

afterEach(async () => {
  await Promise.all(
    children.splice(0).map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve()
          child.once('exit', () => resolve())
          child.kill('SIGTERM')
        }),
    ),
  )
})

async function serve(env: Record<string, string>, args: string[]): Promise<string> {
  const child = spawn(
    process.execPath,
    [BIN, 'serve', '--port', '0', '--stripe-api', stack.emulator.url, ...args],
    {
      env: {
        ...process.env,
        DATABASE_URL: '',
        STRIPE402_TREASURY_ADMIN_TOKEN: ADMIN_TOKEN,
        STRIPE402_CARD: '4242424242424242|12|2034|123',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  children.push(child)
  let out = ''
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line in 30 s:\n${out}`)), 30_000)
    const read = (chunk: Buffer) => {
      out += chunk.toString('utf8')
      const line = /listening on (http:\/\/\S+)/.exec(out)
      if (line?.[1]) {
        clearTimeout(timer)
        resolve(line[1])
      }
    }
    child.stdout?.on('data', read)
    child.stderr?.on('data', read)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`serve exited ${code}:\n${out}`))
    })
  })
}

async function raceAndRevoke(urls: string[]) {
  const admin = (url: string, path: string, body?: unknown) =>
    fetch(`${url}/v1/admin/${path}`, {
      method: body === undefined && !path.endsWith('/revoke') ? 'GET' : 'POST',
      headers: {
        authorization: `Bearer ${ADMIN_TOKEN}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    })
  const created = await admin(urls[0] as string, 'agents', {
    name: 'racer',
    caps: { usd: { perCall: 500, total: 10_000 } },
    allowedOrigins: [stack.api.url],
    allowPrivateNetwork: true,
  })
  expect(created.status).toBe(201)
  const { agent, handle } = (await created.json()) as { agent: { id: string }; handle: string }
  const call = (url: string) =>
    fetch(`${url}/v1/fetch`, {
      method: 'POST',
      headers: { authorization: `Bearer ${handle}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: `${stack.api.url}/api/joke` }),
    }).then(async (res) => {
      await res.arrayBuffer()
      return res.status
    })
  const statuses = await Promise.all(
    Array.from({ length: 50 }, (_, i) => call(urls[i % urls.length] as string)),
  )
  expect(statuses.filter((s) => s === 200)).toHaveLength(20)
  expect(statuses.filter((s) => s === 402)).toHaveLength(30)
  const view = (await (await admin(urls[3] as string, `agents/${agent.id}`)).json()) as {
    agent: { spent: Record<string, unknown> }
  }
  expect(view.agent.spent).toEqual({
    usd: { daily: 10_000, monthly: 10_000, total: 10_000, held: 0 },
  })
  // The API debited exactly what the treasury recorded: the rest of every charge is still credited.
  const charged = stack.emulator
    .charges()
    .filter((c) => c.status === 'succeeded')
    .reduce((sum, c) => sum + c.amount * 100, 0)
  const clientId = stack.api.received
    .map((r) =>
      typeof r.headers.payment === 'string' ? decodePaymentPayload(r.headers.payment) : undefined,
    )
    .find((p) => p?.clientId !== undefined)?.clientId
  expect(charged).toBe(10_000 + ((await stack.api.paywall.balance(clientId ?? '')) ?? -1))
  const accounts = (await (await admin(urls[2] as string, 'accounts')).json()) as {
    charged: Record<string, number>
    spent: Record<string, number>
  }
  expect(accounts.charged.usd).toBe(charged)
  expect(accounts.spent.usd).toBe(10_000)

  expect((await admin(urls[1] as string, `agents/${agent.id}/revoke`)).status).toBe(200)
  expect(await Promise.all(urls.map(call))).toEqual([403, 403, 403, 403])
}

describe('four treasury processes on one SQLite file', () => {
  it('hold one agent to its cap and its revocation', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'treasury-procs-'))
    try {
      const db = join(dir, 'treasury.db')
      const urls = await Promise.all(Array.from({ length: 4 }, () => serve({}, ['--db', db])))
      await raceAndRevoke(urls)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

const svc = await requireService('postgres')

describe.skipIf(!svc.available)('four treasury processes on PostgreSQL', () => {
  it('hold one agent to its cap and its revocation', async () => {
    const schema = `s402_treasury_procs_${process.pid}_${Math.random().toString(36).slice(2, 8)}`
    try {
      const env = { DATABASE_URL: svc.url, STRIPE402_TREASURY_SCHEMA: schema }
      const urls = await Promise.all(Array.from({ length: 4 }, () => serve(env, [])))
      await raceAndRevoke(urls)
    } finally {
      const pool = new pg.Pool({ connectionString: svc.url, max: 1 })
      await pool.query(`drop schema if exists "${schema}" cascade`)
      await pool.end()
    }
  })
})
