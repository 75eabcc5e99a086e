/**
 * Card-testing defences over real HTTP: failed payments per client address and per card
 * fingerprint, top-ups per account. A limit answers 429 `rate_limited` with Retry-After before
 * Stripe is called again. Clients are told apart by source address (127.0.0.x on loopback).
 * What the paywalls log and answer to refused attempts is scanned for secrets and card data.
 */
import { createPaywall, MemoryLedger, type PaywallConfig } from '@stripe402/server'
import {
  expectedFingerprint,
  startStripeEmulator,
  type StripeEmulator,
} from '@stripe402/stripe-emulator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADAPTERS, type AppHooks, type RunningServer } from '../adapters/servers'
import { LeakCollector } from './support/leak-scan'
import {
  CARDS,
  errorCodeOf,
  paymentHeader,
  paymentResponseOf,
  tokenize,
  PAID_ORIGIN,
} from './support/payments'
import { report } from './support/report'
import { rawRequest } from './support/wire'

const SECRET = 'hardening-abuse-limits-secret-0123456789abcdef'
/** Every paywall's log lines and every refusal, scanned at the end; `used` is what may not appear in them. */
const leaks = new LeakCollector()
const used: Array<{ what: string; value: string }> = [{ what: 'server secret', value: SECRET }]
const useAccount = (account: string) => {
  used.push({ what: 'Stripe secret key', value: emulator.keys(account).secretKey })
  for (const number of Object.values(CARDS))
    used.push({ what: 'card fingerprint', value: expectedFingerprint(account, number) })
}

let emulator: StripeEmulator
beforeAll(async () => {
  emulator = await startStripeEmulator({ port: 0 })
})
afterAll(async () => {
  await emulator?.close()
})

// The fetch adapter sees no socket: on @hono/node-server the app hands it the address (its `clientAddress` option).
const adapters = ['express 5', 'koa 3', 'fetch (@hono/node-server)'].map(
  (name) => ADAPTERS.find((a) => a.name === name)!,
)
const OFF = {
  failedPaymentsPerAddress: false,
  failedPaymentsPerCard: false,
  topUpsPerAccount: false,
} as const
let accounts = 0

/** A paywall with fresh counters on the emulator account `account`, logging to the leak collector; `config` adds to or overrides the defaults. */
function paywallOn(account: string, config: Partial<PaywallConfig> = {}) {
  useAccount(account)
  return createPaywall({
    origins: [PAID_ORIGIN],
    stripe: { ...emulator.keys(account), apiBase: emulator.url, maxNetworkRetries: 0 },
    secret: SECRET,
    ledger: new MemoryLedger(),
    routes: { 'GET /api/joke': { amount: 500, minTopUp: 5_000 } },
    logger: leaks.logger,
    ...config,
  })
}

describe.each(adapters)('abuse limits through $name', (adapter) => {
  let server: RunningServer | undefined
  afterAll(() => server?.close())

  /** A fresh paywall (fresh counters) on its own Stripe account, served by this adapter. */
  async function serve(config: Partial<PaywallConfig>) {
    await server?.close()
    const account = `abuse_${accounts++}`
    const hooks: AppHooks = { hits: new Map(), streamGate: () => Promise.resolve() }
    server = await adapter.start(paywallOn(account, config), hooks)
    const url = server.url
    const pay = async (from: string, card: string | { pm: string }) => {
      const pm = typeof card === 'string' ? await tokenize(emulator, account, card) : card.pm
      used.push({ what: 'PaymentMethod id', value: pm })
      const res = await rawRequest(url, {
        method: 'GET',
        target: '/api/joke',
        headers: [['payment', paymentHeader({ paymentMethodId: pm })]],
        localAddress: from,
      })
      leaks.addError(`${adapter.name} pay`, res)
      return { ...res, code: errorCodeOf(res.body) }
    }
    const stripeCalls = () =>
      emulator
        .requests({ account })
        .filter((r) => !(r.method === 'POST' && r.path === '/v1/payment_methods')).length
    return { account, hooks, pay, stripeCalls, charges: () => emulator.charges({ account }) }
  }

  it('failed payments per client address: the limit answers 429 before Stripe is called; another address is served', async () => {
    const s = await serve({
      rateLimits: { ...OFF, failedPaymentsPerAddress: { limit: 3, windowMs: 600_000 } },
    })
    const declines = []
    for (const card of [CARDS.genericDecline, CARDS.insufficientFunds, CARDS.expiredCard])
      declines.push(await s.pay('127.0.0.2', card))
    expect(declines.map((d) => `${d.status} ${d.code}`)).toEqual(Array(3).fill('402 card_declined'))
    const calls = s.stripeCalls()
    const charges = s.charges().length
    const limited = await s.pay('127.0.0.2', CARDS.visa)
    expect(limited.status).toBe(429)
    expect(limited.code).toBe('rate_limited')
    const retryAfter = Number(limited.headers['retry-after'])
    expect(retryAfter).toBeGreaterThan(0)
    expect(retryAfter).toBeLessThanOrEqual(600)
    const stripeCallsWhileBlocked = s.stripeCalls() - calls
    expect(stripeCallsWhileBlocked).toBe(0)
    expect(s.charges()).toHaveLength(charges)
    expect(s.hooks.hits.get('/api/joke') ?? 0).toBe(0)
    const other = await s.pay('127.0.0.3', CARDS.visa)
    expect(other.status).toBe(200)
    report(`abuse ${adapter.name}: failed payments per address (limit 3)`, {
      declines: 3,
      fourth: `${limited.status} ${limited.code}`,
      retryAfter,
      stripeCallsWhileBlocked,
      otherAddress: other.status,
    })
  })

  it('unknown PaymentMethods count as failures too (card testing without real cards)', async () => {
    const s = await serve({
      rateLimits: { ...OFF, failedPaymentsPerAddress: { limit: 3, windowMs: 600_000 } },
    })
    for (let i = 0; i < 3; i++)
      expect((await s.pay('127.0.0.4', { pm: `pm_doesnotexist${i}` })).code).toBe('invalid_payment')
    const calls = s.stripeCalls()
    const limited = await s.pay('127.0.0.4', { pm: 'pm_doesnotexist9' })
    expect(limited.status).toBe(429)
    expect(s.stripeCalls()).toBe(calls)
  })

  it('failed payments per card fingerprint, whatever the address: the card is refused before Stripe charges it again', async () => {
    const s = await serve({
      rateLimits: { ...OFF, failedPaymentsPerCard: { limit: 2, windowMs: 600_000 } },
    })
    expect((await s.pay('127.0.0.5', CARDS.insufficientFunds)).code).toBe('card_declined')
    expect((await s.pay('127.0.0.6', CARDS.insufficientFunds)).code).toBe('card_declined')
    const attempts = s.charges().length
    const limited = await s.pay('127.0.0.7', CARDS.insufficientFunds)
    expect(limited.status).toBe(429)
    expect(limited.code).toBe('rate_limited')
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0)
    expect(s.charges()).toHaveLength(attempts)
    // The address is not blocked: another card from it is served.
    expect((await s.pay('127.0.0.7', CARDS.visa)).status).toBe(200)
    report(`abuse ${adapter.name}: failed payments per card (limit 2)`, {
      chargeAttempts: attempts,
      third: `${limited.status} ${limited.code}`,
      retryAfter: limited.headers['retry-after'],
    })
  })

  it('top-ups per account per window: the third top-up in the window is refused and not charged', async () => {
    const s = await serve({
      rateLimits: { ...OFF, topUpsPerAccount: { limit: 2, windowMs: 600_000 } },
      routes: { 'GET /api/joke': { amount: 5_000, minTopUp: 5_000 } },
    })
    const answers = []
    for (let i = 0; i < 3; i++) answers.push(await s.pay('127.0.0.8', CARDS.visa))
    expect(answers.map((a) => a.status)).toEqual([200, 200, 429])
    expect(answers[2]!.code).toBe('rate_limited')
    expect(Number(answers[2]!.headers['retry-after'])).toBeGreaterThan(0)
    expect(s.charges().filter((c) => c.status === 'succeeded')).toHaveLength(2)
    expect(s.hooks.hits.get('/api/joke')).toBe(2)
    report(`abuse ${adapter.name}: top-ups per account (limit 2)`, {
      answers: answers.map((a) => a.status),
      charges: s.charges().length,
      retryAfter: answers[2]!.headers['retry-after'],
    })
  })

  it('tells a card tester only "card_declined": lost, stolen and fraudulent look like a generic decline', async () => {
    const s = await serve({ rateLimits: false })
    for (const card of [CARDS.lostCard, CARDS.stolenCard, CARDS.fraudulent]) {
      const res = await s.pay('127.0.0.9', card)
      expect(res.status).toBe(402)
      expect(res.code).toBe('card_declined')
      const said = `${res.body} ${JSON.stringify(paymentResponseOf(res.headers) ?? {})}`
      expect(said).not.toMatch(/lost_card|stolen_card|fraudulent|stolen|lost/i)
    }
  })
})

describe('abuse limits: window and defaults (express 5)', () => {
  const express = ADAPTERS.find((a) => a.name === 'express 5')!
  let server: RunningServer | undefined
  afterAll(() => server?.close())

  it('a block lifts when its window ends', async () => {
    const account = `abuse_window_${Date.now().toString(36)}`
    const paywall = paywallOn(account, {
      rateLimits: { ...OFF, failedPaymentsPerAddress: { limit: 1, windowMs: 1_000 } },
    })
    server = await express.start(paywall, { hits: new Map(), streamGate: () => Promise.resolve() })
    const pay = async (card: string) => {
      const paymentMethodId = await tokenize(emulator, account, card)
      used.push({ what: 'PaymentMethod id', value: paymentMethodId })
      const res = await rawRequest(server!.url, {
        method: 'GET',
        target: '/api/joke',
        headers: [['payment', paymentHeader({ paymentMethodId })]],
        localAddress: '127.0.0.10',
      })
      leaks.addError('window pay', res)
      return res
    }
    expect((await pay(CARDS.genericDecline)).status).toBe(402)
    const limited = await pay(CARDS.visa)
    expect(limited.status).toBe(429)
    await new Promise((resolve) =>
      setTimeout(resolve, Number(limited.headers['retry-after']) * 1000 + 100),
    )
    expect((await pay(CARDS.visa)).status).toBe(200)
    await server.close()
    server = undefined
  })

  it(`the defaults apply without any configuration (20 failed payments per address per 10 minutes)`, async () => {
    const account = `abuse_defaults_${Date.now().toString(36)}`
    server = await express.start(paywallOn(account), {
      hits: new Map(),
      streamGate: () => Promise.resolve(),
    })
    const statuses: number[] = []
    let retryAfter = 0
    for (let i = 0; i < 22; i++) {
      const res = await rawRequest(server.url, {
        method: 'GET',
        target: '/api/joke',
        headers: [['payment', paymentHeader({ paymentMethodId: `pm_unknown${i}` })]],
        localAddress: '127.0.0.11',
      })
      leaks.addError('defaults pay', res)
      statuses.push(res.status)
      if (res.status === 429) retryAfter = Number(res.headers['retry-after'])
    }
    report('abuse defaults (express 5): unknown PaymentMethods from one address', {
      answered402: statuses.filter((s) => s === 402).length,
      answered429: statuses.filter((s) => s === 429).length,
      retryAfter,
    })
    expect(statuses.slice(0, 20).every((s) => s === 402)).toBe(true)
    expect(statuses.slice(20)).toEqual([429, 429])
    // Fixed windows aligned to the clock: Retry-After is what is left of the current 10 minutes.
    expect(retryAfter).toBeGreaterThan(0)
    expect(retryAfter).toBeLessThanOrEqual(600)
  })
})

describe('abuse limits: what the refused attempts left in logs and answers', () => {
  it('no card number, key, secret, credential, PaymentMethod id or fingerprint in any log line or refusal', () => {
    const found = leaks.scan(used)
    report('abuse limits: leak scan', {
      ...leaks.stats,
      secretsLookedFor: new Set(used.map((u) => u.value)).size,
      leaks: found.length,
    })
    // The scan saw every decline, unknown PaymentMethod and 429, and what the paywalls logged about them.
    expect(leaks.stats.errorAnswers).toBeGreaterThan(30)
    expect(leaks.stats.logLines).toBeGreaterThan(0)
    expect(found).toEqual([])
  })
})
