/** Test-only helpers: an emulator, a paywall on it, cards, requests and decoded answers. Never imported by the package. */
import {
  decodePaymentRequired,
  decodePaymentResponse,
  encodePaymentPayload,
  ORIGIN_BINDING,
  type PaymentPayload,
  type PaymentRequired,
  type PaymentResponse,
} from '@stripe402/protocol'
import {
  startStripeEmulator,
  type StripeEmulator,
  type WebhookEndpoint,
} from '@stripe402/stripe-emulator'
import Stripe from 'stripe'
import { afterAll, beforeAll, beforeEach } from 'vitest'
import type { PaywallConfig } from '../../src/config/schema'
import type { PaywallEvent, PaywallLogger } from '../../src/events'
import type { PaywallRequest } from '../../src/http/request'
import { MemoryLedger } from '../../src/ledger/memory'
import { type Ledger, LedgerUnavailableError } from '../../src/ledger/types'
import type { DenyOutcome, PaidOutcome, PaywallOutcome } from '../../src/outcome'
import { createPaywall, type Paywall } from '../../src/paywall'

export const SECRET = 'test-secret-0123456789-abcdefghijklmnopqrstuvwxyz'
export const WEBHOOK_SECRET = 'whsec_test_engine'
/** The public origin of the harness's paywall (`origins`), which `card()` binds PaymentMethods to. */
export const ORIGIN = 'https://api.example.com'

export const CARDS = {
  visa: '4242424242424242',
  mastercard: '5555555555554444',
  declined: '4000000000000002',
  insufficientFunds: '4000000000009995',
  threeDSecure: '4000002760003184',
  dispute: '4000000000000259',
} as const

/** Logs captured per test, so suites can assert that nothing secret was written. */
export interface CapturedLog {
  level: 'warn' | 'error'
  message: string
  meta?: Record<string, unknown>
}

export interface Harness {
  emu: StripeEmulator
  /** A paywall on the emulator with a fresh MemoryLedger unless `ledger` is given. */
  paywall(overrides?: Partial<PaywallConfig>): {
    paywall: Paywall
    ledger: Ledger
    events: PaywallEvent[]
    logs: CapturedLog[]
  }
  /**
   * A PaymentMethod created with the publishable key, like a client does: bound to ORIGIN
   * (spec §7.4) unless `origin` says another one, or null for none (a v1 client's).
   */
  card(number?: string, options?: { origin?: string | null }): Promise<string>
}

/**
 * Starts one emulator for the file and resets it before each test. Webhook endpoints given
 * here are the emulator's initial ones, which survive resets.
 */
export function useEmulator(options: { webhooks?: () => WebhookEndpoint[] } = {}): Harness {
  let emu: StripeEmulator | undefined
  beforeAll(async () => {
    emu = await startStripeEmulator({ webhooks: options.webhooks?.() ?? [] })
  })
  afterAll(async () => {
    await emu?.close()
  })
  beforeEach(() => emu?.reset())
  const harness: Harness = {
    get emu() {
      if (!emu) throw new Error('emulator not started')
      return emu
    },
    paywall(overrides = {}) {
      const ledger = overrides.ledger ?? new MemoryLedger()
      const events: PaywallEvent[] = []
      const logs: CapturedLog[] = []
      const logger: PaywallLogger = {
        warn: (message, meta) => logs.push({ level: 'warn', message, ...(meta && { meta }) }),
        error: (message, meta) => logs.push({ level: 'error', message, ...(meta && { meta }) }),
      }
      const paywall = createPaywall({
        stripe: {
          ...harness.emu.keys(),
          apiBase: harness.emu.url,
          maxNetworkRetries: 0,
          timeoutMs: 2_000,
        },
        secret: SECRET,
        ledger,
        routes: {
          'GET /api/joke': { amount: 500, description: 'A joke' },
          'GET /api/weather': { amount: 1_000, minTopUp: 10_000 },
        },
        webhook: { secret: WEBHOOK_SECRET },
        origins: [ORIGIN],
        onEvent: (event) => events.push(event),
        logger,
        ...overrides,
      })
      return { paywall, ledger, events, logs }
    },
    async card(number = CARDS.visa, { origin = ORIGIN }: { origin?: string | null } = {}) {
      const stripe = new Stripe(harness.emu.keys().publishableKey, {
        ...harness.emu.sdkConfig(),
        maxNetworkRetries: 0,
      })
      const pm = await stripe.paymentMethods.create({
        type: 'card',
        card: { number, exp_month: 12, exp_year: 2030, cvc: '123' },
        ...(origin !== null && { metadata: { [ORIGIN_BINDING.METADATA_KEY]: origin } }),
      })
      return pm.id
    },
  }
  return harness
}

/** A request as an adapter passes it: a method, a URL (path or absolute) and a header getter. */
export function req(
  url: string,
  options: {
    method?: string
    payment?: PaymentPayload | string
    headers?: Record<string, string>
  } = {},
): PaywallRequest {
  const headers = new Map(
    Object.entries(options.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
  )
  if (options.payment !== undefined) {
    headers.set(
      'payment',
      typeof options.payment === 'string' ? options.payment : encodePaymentPayload(options.payment),
    )
  }
  return {
    method: options.method ?? 'GET',
    url,
    headers: { get: (name) => headers.get(name.toLowerCase()) ?? null },
  }
}

export const pay = (fields: Omit<PaymentPayload, 'stripe402Version'>): PaymentPayload => ({
  stripe402Version: 1,
  ...fields,
})

export function expectDeny(outcome: PaywallOutcome): DenyOutcome {
  if (outcome.type !== 'deny')
    throw new Error(
      `expected deny, got ${outcome.type}${outcome.type === 'respond' ? ` ${outcome.status}` : ''}`,
    )
  return outcome
}

export function expectPaid(outcome: PaywallOutcome): PaidOutcome {
  if (outcome.type !== 'paid') {
    const detail = outcome.type === 'deny' ? ` ${outcome.status} ${outcome.body}` : ''
    throw new Error(`expected paid, got ${outcome.type}${detail}`)
  }
  return outcome
}

/** The 402's PaymentRequired, from its header (and checked to equal the body). */
export function required(outcome: PaywallOutcome): PaymentRequired {
  const deny = expectDeny(outcome)
  const fromHeader = decodePaymentRequired(deny.headers['payment-required'])
  const fromBody = JSON.parse(deny.body) as unknown
  if (JSON.stringify(fromHeader) !== JSON.stringify(fromBody))
    throw new Error('payment-required header and body differ')
  return fromHeader
}

/** The decoded payment-response header of a paid or denied outcome. */
export function paymentResponse(outcome: PaywallOutcome): PaymentResponse {
  const headers = outcome.type === 'paid' || outcome.type === 'deny' ? outcome.headers : {}
  return decodePaymentResponse(headers['payment-response'])
}

/** Pays for `path` with a fresh card and returns the credential issued. */
export async function payWithNewCard(
  harness: Harness,
  paywall: Paywall,
  path = '/api/joke',
  number: string = CARDS.visa,
): Promise<{ clientId: string; outcome: PaidOutcome }> {
  const outcome = expectPaid(
    await paywall.begin(
      req(path, { payment: pay({ paymentMethodId: await harness.card(number) }) }),
    ),
  )
  await outcome.settle(200)
  return { clientId: paymentResponse(outcome).clientId, outcome }
}

/** Requests the server made to Stripe (tokenizing a card with the publishable key is the client's, not counted). */
export function serverRequests(harness: Harness) {
  return harness.emu
    .requests()
    .filter((r) => !(r.method === 'POST' && r.path === '/v1/payment_methods'))
}

/** A ledger that loses the request path's top-up credit once: the process "died" between charge and credit. */
export function crashingLedger(): MemoryLedger {
  const memory = new MemoryLedger()
  let crashes = 1
  return Object.assign(Object.create(memory) as MemoryLedger, {
    credit: async (input: Parameters<MemoryLedger['credit']>[0]) => {
      if (input.kind === 'top_up' && crashes-- > 0)
        throw new LedgerUnavailableError('process killed')
      return memory.credit(input)
    },
    creditAndSpend: async (input: Parameters<MemoryLedger['creditAndSpend']>[0]) => {
      if (input.credit.kind === 'top_up' && crashes-- > 0)
        throw new LedgerUnavailableError('process killed')
      return memory.creditAndSpend(input)
    },
  })
}
