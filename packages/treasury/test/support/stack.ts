/** Test-only vitest fixture: the Stripe emulator, a paid API, and a treasury on a fresh SQLite file, with every outbound request recorded. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startStripeEmulator, type StripeEmulator } from '@stripe402/stripe-emulator'
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest'
import type { Listening } from '../../src/http/node'
import { relayFetch } from '../../src/relay/transport'
import { SqliteStore } from '../../src/store/sqlite'
import type { TreasuryStore } from '../../src/store/types'
import { createTreasury, type Treasury, type TreasuryOptions } from '../../src/treasury'
import { type PaidApi, startPaidApi } from './paid-api'

export const VISA = { number: '4242424242424242', exp_month: 12, exp_year: 2034, cvc: '123' }
export const ADMIN_TOKEN = 'admin-token-for-tests-0123456789'

/** One request that left the treasury: to an API an agent called, or to the Stripe API. */
export interface Outbound {
  to: 'upstream' | 'stripe'
  method: string
  url: string
  headers: Record<string, string>
  body: string
}

export interface Instance {
  treasury: Treasury
  server: Listening
  url: string
  store: TreasuryStore
}

export interface Stack {
  emulator: StripeEmulator
  api: PaidApi
  /** The first treasury instance. */
  url: string
  store: TreasuryStore
  outbound: Outbound[]
  /** Everything the treasury logged. */
  logs: string[]
  /** Another instance on the same SQLite file (closed after the test). */
  instance(): Promise<Instance>
  admin(path: string, init?: { method?: string; body?: unknown; token?: string }): Promise<Response>
  /** Creates an agent allowed the paid API (and private addresses); returns its id and handle. */
  agent(overrides?: Record<string, unknown>): Promise<{ id: string; handle: string; name: string }>
  fetchAs(handle: string, request: Record<string, unknown>): Promise<Response>
}

async function bodyText(body: BodyInit | null | undefined): Promise<string> {
  return body == null ? '' : new Response(body).text()
}

export function useStack(extra: Partial<TreasuryOptions> = {}): Stack {
  const stack = { outbound: [] as Outbound[], logs: [] as string[] } as Stack
  let dir: string
  let instances: Instance[] = []
  let n = 0

  async function start(file: string): Promise<Instance> {
    const store = await SqliteStore.open(file)
    const treasury = createTreasury({
      store,
      adminToken: ADMIN_TOKEN,
      card: VISA,
      stripeApiBase: stack.emulator.url,
      logger: {
        warn: (m) => stack.logs.push(m),
        error: (m) => stack.logs.push(m),
      },
      transport: async (url, init, options) => {
        const headers: Record<string, string> = {}
        new Headers(init.headers).forEach((v, k) => {
          headers[k] = v
        })
        stack.outbound.push({
          to: 'upstream',
          method: init.method ?? 'GET',
          url,
          headers,
          body: await bodyText(init.body),
        })
        return relayFetch(url, init, options)
      },
      stripeFetch: async (input, init) => {
        const headers: Record<string, string> = {}
        new Headers(init?.headers).forEach((v, k) => {
          headers[k] = v
        })
        stack.outbound.push({
          to: 'stripe',
          method: init?.method ?? 'GET',
          url: String(input),
          headers,
          body: await bodyText(init?.body),
        })
        return fetch(input, init)
      },
      ...extra,
    })
    const server = await treasury.listen(0)
    const instance = { treasury, server, url: server.url, store }
    instances.push(instance)
    return instance
  }

  beforeAll(async () => {
    stack.emulator = await startStripeEmulator({ port: 0 })
  })
  beforeEach(async () => {
    stack.emulator.reset()
    stack.outbound.length = 0
    stack.logs.length = 0
    dir = mkdtempSync(join(tmpdir(), 'treasury-test-'))
    stack.api = await startPaidApi(stack.emulator)
    const first = await start(join(dir, 'treasury.db'))
    stack.url = first.url
    stack.store = first.store
    stack.instance = () => start(join(dir, 'treasury.db'))
  })
  afterEach(async () => {
    // Every test: the card number went nowhere but Stripe's tokenization endpoint.
    const digits = VISA.number
    const leaks = [
      ...stack.outbound
        .filter(
          (o) =>
            !(o.to === 'stripe' && o.method === 'POST' && o.url.endsWith('/v1/payment_methods')),
        )
        .filter((o) => JSON.stringify(o).includes(digits))
        .map((o) => `${o.method} ${o.url}`),
      ...stack.api.received
        .filter((r) => JSON.stringify(r).includes(digits))
        .map((r) => `API ${r.path}`),
      ...stack.logs.filter((line) => line.includes(digits)),
    ]
    if (leaks.length > 0) throw new Error(`the card number left the treasury: ${leaks.join(', ')}`)
    for (const instance of instances) {
      instance.treasury.close()
      await instance.server.close()
      await instance.store.close()
    }
    instances = []
    await stack.api.close()
    rmSync(dir, { recursive: true, force: true })
  })
  afterAll(async () => {
    await stack.emulator.close()
  })

  stack.admin = (path, init = {}) =>
    fetch(`${stack.url}/v1/admin/${path}`, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: {
        authorization: `Bearer ${init.token ?? ADMIN_TOKEN}`,
        ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(init.body !== undefined
        ? { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) }
        : {}),
    })
  stack.agent = async (overrides = {}) => {
    const name = `agent-${++n}`
    const res = await stack.admin('agents', {
      body: {
        name,
        caps: { usd: { perCall: 1_000, daily: 10_000 } },
        allowedOrigins: [stack.api.url],
        allowPrivateNetwork: true,
        ...overrides,
      },
    })
    if (res.status !== 201) throw new Error(`agent not created: ${await res.text()}`)
    const created = (await res.json()) as { agent: { id: string; name: string }; handle: string }
    return { id: created.agent.id, name: created.agent.name, handle: created.handle }
  }
  stack.fetchAs = (handle, request) =>
    fetch(`${stack.url}/v1/fetch`, {
      method: 'POST',
      headers: { authorization: `Bearer ${handle}`, 'content-type': 'application/json' },
      body: JSON.stringify(request),
    })
  return stack
}
