/**
 * Secrets and card data: the server refuses a default or short secret in production, and a
 * representative scenario suite (payments, credentials, declines, bad input, Stripe faults,
 * webhooks, revocation, rate limits, a failing ledger, a failing handler) writes no card number,
 * key, webhook secret, raw credential, PaymentMethod id or card fingerprint anywhere but where
 * the protocol puts them: every log line, event, console call, response body and header is scanned.
 */
import { randomBytes } from 'node:crypto'
import { HEADERS } from '@stripe402/protocol'
import {
  createPaywall,
  type Ledger,
  MemoryLedger,
  type PaywallConfig,
  type PaywallLogger,
  Stripe402ConfigError,
} from '@stripe402/server'
import {
  expectedFingerprint,
  startStripeEmulator,
  type StripeEmulator,
} from '@stripe402/stripe-emulator'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { ADAPTERS, type AppHooks, type RunningServer } from '../adapters/servers'
import { requireService } from '../services'
import { findLeaks, LeakCollector } from './support/leak-scan'
import { CARDS, paymentHeader, paymentResponseOf, tokenize, PAID_ORIGIN } from './support/payments'
import { runServerProcessToExit } from './support/processes'
import { report } from './support/report'
import { rawRequest } from './support/wire'

const redis = await requireService('redis')

const STRONG = randomBytes(32).toString('base64')
const WEBHOOK_SECRET = 'whsec_hardening_secrets_0123456789'

let emulator: StripeEmulator
beforeAll(async () => {
  emulator = await startStripeEmulator({ port: 0, webhookRetry: { attempts: 3, baseDelayMs: 20 } })
})
afterAll(async () => {
  await emulator?.close()
})

describe('the server secret in production', () => {
  const env = process.env.NODE_ENV
  afterEach(() => {
    process.env.NODE_ENV = env
  })
  const config = (
    secret: PaywallConfig['secret'],
    logger: PaywallLogger = { warn: () => {}, error: () => {} },
  ): PaywallConfig => ({
    stripe: { ...emulator.keys('secrets'), apiBase: emulator.url },
    secret,
    ledger: new MemoryLedger(),
    routes: { 'GET /api/joke': { amount: 500 } },
    logger,
  })

  const weak: Array<[string, PaywallConfig['secret'], string]> = [
    ['a well-known default', 'changeme', 'secret'],
    ['another default', 'stripe402-secret', 'secret'],
    [
      'a tutorial placeholder of 44 characters',
      'a-very-long-secret-that-is-at-least-32-chars',
      'secret',
    ],
    ['a short secret (12 characters)', 'k8#Lq2!vZp0w', 'secret'],
    ['31 random characters', randomBytes(32).toString('base64').slice(0, 31), 'secret'],
    ['40 repeated characters', 'ab'.repeat(20), 'secret'],
    ['the Stripe secret key itself', 'sk_test_secrets', 'secret'],
    ['a weak older secret in a rotation', [STRONG, 'changeme'], 'secret[1]'],
  ]

  it.each(weak)(
    'refuses %s when NODE_ENV=production, naming the field but not the value',
    (_what, secret, field) => {
      process.env.NODE_ENV = 'production'
      let error: unknown
      try {
        createPaywall(config(secret))
      } catch (e) {
        error = e
      }
      expect(error).toBeInstanceOf(Stripe402ConfigError)
      expect((error as Stripe402ConfigError).field).toBe(field)
      expect((error as Error).message).toMatch(/refused in production/)
      for (const value of [secret].flat()) expect((error as Error).message).not.toContain(value)
    },
  )

  it('accepts 32 random bytes in production, and only warns about a weak secret outside production', () => {
    process.env.NODE_ENV = 'production'
    expect(() => createPaywall(config(STRONG))).not.toThrow()
    process.env.NODE_ENV = 'development'
    const warnings: string[] = []
    expect(() =>
      createPaywall(config('changeme', { warn: (m) => void warnings.push(m), error: () => {} })),
    ).not.toThrow()
    expect(warnings.join('\n')).toMatch(/weak.*refuses it when NODE_ENV=production/)
    expect(warnings.join('\n')).not.toContain('changeme')
  })

  it.skipIf(!redis.available)(
    'a server process started with a default secret and NODE_ENV=production exits and says why, without printing it',
    async () => {
      const secret = 'change-me'
      const { code, output } = await runServerProcessToExit(
        {
          adapter: 'express',
          stripe: { ...emulator.keys('secrets'), apiBase: emulator.url },
          secret,
          ledger: { kind: 'redis', url: redis.url, prefix: `s402_hard_secrets_${process.pid}` },
          routes: { 'GET /api/unit': { amount: 100 } },
        },
        { NODE_ENV: 'production' },
      )
      report('secrets: default secret in production (server process)', {
        exitCode: code,
        says: /refused in production/.test(output),
      })
      expect(code).not.toBe(0)
      expect(output).toMatch(/stripe402 config: secret: refused in production/)
      expect(output).not.toMatch(/READY/)
      expect(output).not.toContain(secret)
    },
  )
})

describe('no secret or card data in logs, events, errors or answers', () => {
  it('the scanner finds what it looks for (so a clean scan means something)', () => {
    const planted = [
      'card 4242424242424242 and 4000 0566 5566 5556',
      'key sk_test_abc123 and whsec_abc and pm_1AbCdEfGhIj',
      `token s402_${'a'.repeat(64)}_${'B'.repeat(43)}`,
    ].join(' ')
    const found = findLeaks('planted', planted).map((l) => l.what)
    expect(found).toEqual(
      expect.arrayContaining([
        'card number (Luhn-valid)',
        'Stripe secret or restricted key',
        'webhook signing secret',
        'PaymentMethod id',
        'clientId credential',
      ]),
    )
    expect(found.filter((w) => w.startsWith('card'))).toHaveLength(2)
    // Timestamps, amounts and hex account ids are not card numbers.
    expect(
      findLeaks(
        'benign',
        `at 1736712345678 amount 5000 acct 4242424242424242ab${'0'.repeat(46)} ${Date.now()}`,
      ),
    ).toEqual([])
  })

  it.each([ADAPTERS[0]!, ADAPTERS[4]!])(
    'a representative scenario suite through $name leaks nothing',
    async (adapter) => {
      const account = `secrets_${adapter.name.replace(/\W/g, '')}`
      const keys = emulator.keys(account)
      const collector = new LeakCollector()
      const consoleSpies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((level) =>
        vi
          .spyOn(console, level)
          .mockImplementation((...args: unknown[]) => collector.add(`console.${level}`, args)),
      )
      const servers: RunningServer[] = []
      const secretValues: Array<{ what: string; value: string }> = [
        { what: 'Stripe secret key', value: keys.secretKey },
        { what: 'webhook secret', value: WEBHOOK_SECRET },
        { what: 'server secret', value: STRONG },
      ]
      const tokens: string[] = []
      const card = async (number: string) => {
        const pm = await tokenize(emulator, account, number)
        secretValues.push(
          { what: 'PaymentMethod id', value: pm },
          { what: 'card number', value: number },
          { what: 'card fingerprint', value: expectedFingerprint(account, number) },
        )
        return pm
      }

      try {
        const start = async (overrides: Partial<PaywallConfig> = {}) => {
          const hooks: AppHooks = { hits: new Map(), streamGate: () => Promise.resolve() }
          const paywall = createPaywall({
            origins: [PAID_ORIGIN],
            stripe: { ...keys, apiBase: emulator.url, timeoutMs: 1_000, maxNetworkRetries: 0 },
            secret: STRONG,
            ledger: new MemoryLedger(),
            routes: {
              'GET /api/joke': { amount: 500, minTopUp: 5_000 },
              'GET /api/pricey': { amount: 60_000, minTopUp: 60_000 },
              'GET /api/fail': { amount: 500 },
            },
            webhook: { secret: WEBHOOK_SECRET },
            rateLimits: false,
            logger: collector.logger,
            onEvent: (event) => collector.add(`event ${event.type}`, event),
            ...overrides,
          })
          const server = await adapter.start(paywall, hooks)
          servers.push(server)
          return { paywall, server }
        }
        const { paywall, server } = await start()
        emulator.addWebhook({
          url: `${server.url}/stripe402/webhook`,
          secret: WEBHOOK_SECRET,
          account,
        })
        const call = async (
          label: string,
          path: string,
          payment?: Record<string, unknown> | string,
          on: RunningServer = server,
        ) => {
          const headers: Array<[string, string]> =
            payment === undefined
              ? []
              : [[HEADERS.PAYMENT, typeof payment === 'string' ? payment : paymentHeader(payment)]]
          const res = await rawRequest(on.url, { method: 'GET', target: path, headers })
          collector.addResponse(label, res)
          const clientId = paymentResponseOf(res.headers)?.clientId
          if (clientId) tokens.push(clientId)
          return { ...res, clientId }
        }

        // Payments with several cards, then credits spent with the credential.
        await call('challenge', '/api/joke')
        const paid = []
        for (const number of [CARDS.visa, CARDS.mastercard, CARDS.amex, CARDS.discover])
          paid.push(
            await call(`pay ${number.slice(-4)}`, '/api/joke', {
              paymentMethodId: await card(number),
            }),
          )
        expect(paid.map((p) => p.status)).toEqual([200, 200, 200, 200])
        const token = paid[0]!.clientId!
        await call('spend', '/api/joke', { clientId: token })
        await call('insufficient credits', '/api/pricey', { clientId: token })
        await call('price above maxAmount', '/api/joke', { clientId: token, maxAmount: 1 })
        await call('handler fails (reversal)', '/api/fail', { clientId: token })

        // Declines and 3-D Secure.
        for (const number of [
          CARDS.genericDecline,
          CARDS.insufficientFunds,
          CARDS.lostCard,
          CARDS.stolenCard,
          CARDS.expiredCard,
          CARDS.incorrectCvc,
          CARDS.processingError,
          CARDS.fraudulent,
          CARDS.threeDSecure,
        ]) {
          await call(`decline ${number.slice(-4)}`, '/api/joke', {
            paymentMethodId: await card(number),
          })
        }

        // Bad input, including a card number and a secret key where ids belong.
        await call('garbage header', '/api/joke', '!!!not base64!!!')
        await call('pan as PaymentMethod id', '/api/joke', { paymentMethodId: CARDS.visa })
        await call('pan in clientId', '/api/joke', { clientId: CARDS.mastercard })
        await call('secret key as clientId', '/api/joke', { clientId: keys.secretKey })
        await call('unknown PaymentMethod', '/api/joke', { paymentMethodId: 'pm_doesnotexist123' })
        await call('almost the credential', '/api/joke', { clientId: `${token.slice(0, -1)}A` })
        await call(
          'prototype keys',
          '/api/joke',
          Buffer.from(`{"stripe402Version":1,"__proto__":{"clientId":"${token}"}}`).toString(
            'base64',
          ),
        )
        await call('oversize', '/api/joke', 'A'.repeat(9_000))

        // Stripe faults: an outage, a timeout, a charge whose answer is lost (then reconciled).
        emulator.inject({
          method: 'GET',
          path: /^\/v1\/payment_methods\//,
          status: 500,
          times: Number.POSITIVE_INFINITY,
        })
        await call('stripe 500', '/api/joke', { paymentMethodId: await card(CARDS.visa) })
        emulator.clearFaults()
        emulator.inject({
          method: 'POST',
          path: '/v1/payment_intents',
          hang: true,
          times: Number.POSITIVE_INFINITY,
        })
        await call('stripe timeout', '/api/joke', { paymentMethodId: await card(CARDS.mastercard) })
        emulator.clearFaults()
        emulator.inject({
          method: 'POST',
          path: '/v1/payment_intents',
          afterResponse: true,
          drop: true,
          times: 2,
        })
        await call('charged, answer lost', '/api/joke', {
          paymentMethodId: await card('4000056655665556'),
        })
        emulator.clearFaults()
        collector.add('reconcile result', await paywall.reconcile())

        // Webhooks: a refund and a dispute (signed), and a forged one.
        const charge = emulator.charges({ account, status: 'succeeded' })[1]!
        await fetch(`${emulator.url}/v1/refunds`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${keys.secretKey}`,
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: new URLSearchParams({ charge: charge.id, amount: '10' }),
        })
        await emulator.dispute(emulator.charges({ account, status: 'succeeded' })[2]!.id)
        await emulator.flushWebhooks()
        const forged = await rawRequest(server.url, {
          method: 'POST',
          target: '/stripe402/webhook',
          headers: [
            ['stripe-signature', 't=1,v1=00'],
            ['content-type', 'application/json'],
          ],
          body: '{"type":"payment_intent.succeeded"}',
        })
        collector.addResponse('forged webhook', forged)

        // Revocation, a rate limit, a failing ledger.
        collector.add('revoke', await paywall.revoke(token))
        await call('revoked credential', '/api/joke', { clientId: token })
        const limited = await start({
          rateLimits: {
            failedPaymentsPerAddress: false,
            failedPaymentsPerCard: { limit: 1, windowMs: 60_000 },
            topUpsPerAccount: false,
          },
        })
        await call(
          'limit: first failure',
          '/api/joke',
          { paymentMethodId: await card(CARDS.genericDecline) },
          limited.server,
        )
        expect(
          (
            await call(
              'limit: 429',
              '/api/joke',
              { paymentMethodId: await card(CARDS.genericDecline) },
              limited.server,
            )
          ).status,
        ).toBe(429)
        const broken = await start({ ledger: failingLedger() })
        await call('ledger down (credential)', '/api/joke', { clientId: token }, broken.server)
        await call(
          'ledger down (card)',
          '/api/joke',
          { paymentMethodId: await card(CARDS.amex) },
          broken.server,
        )
      } finally {
        for (const spy of consoleSpies) spy.mockRestore()
        emulator.clearFaults()
        await Promise.all(servers.map((s) => s.close()))
      }

      const exact = [
        ...secretValues,
        ...tokens.map((value) => ({ what: 'clientId credential', value })),
      ]
      const leaks = collector.scan(exact)
      report(`secrets scan through ${adapter.name}`, {
        texts: collector.stats.texts,
        characters: collector.stats.chars,
        secretsLookedFor: new Set(exact.map((e) => e.value)).size,
        leaks: leaks.length,
      })
      expect(collector.stats.texts).toBeGreaterThan(200)
      // The scenarios reached what they claim to: errors were logged, webhooks applied, limits hit.
      const sources = collector.sources()
      for (const source of [
        'logger.error',
        'event top_up',
        'event refund',
        'event dispute',
        'event reversal',
        'event revoke',
        'event rate_limited',
        'event error',
        'event credential_issued',
      ]) {
        expect(sources, source).toContain(source)
      }
      expect(tokens.length).toBeGreaterThan(3)
      expect(leaks).toEqual([])
    },
  )
})

/** A ledger whose store is gone, with a driver-style message. */
function failingLedger(): Ledger {
  const inner = new MemoryLedger()
  return new Proxy(inner, {
    get(target, property) {
      const value = Reflect.get(target, property) as unknown
      if (typeof value !== 'function') return value
      if (property === 'close') return value.bind(target)
      return () =>
        Promise.reject(
          Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' }),
        )
    },
  })
}
