/** One run of the suite against one server: its price, its accounts, and the observations several audits share. */
import { encodeHeader, HEADERS, type PaymentResponse } from '@stripe402/protocol'
import { fail } from '../audits/failure'
import { type Card, CARDS, type CardRole, freshAccounts, isEmulator, testCard } from './cards'
import { type Exchange, isServed, type Outgoing, send, type Target, targetFor } from './http'
import { parseParamRoute, parseRoute, type Route, type ServerAuditOptions } from './options'
import { StripeView } from './stripe-side'
import { createPaymentMethod, type Tokenizer, tokenizerFor } from './tokenize'
import { challengeOf, paymentResponseOf } from './wire'

/** What the challenge offers, in the one `stripe` scheme the suite pays with. */
export interface Offer {
  currency: string
  amount: number
  minTopUp: number
  maxTopUp?: number
  publishableKey: string
  /** Optional payload fields the server says it honours. */
  extensions: string[]
}

/** An account the suite can spend from: its credential and the balance last reported. */
export interface Account {
  clientId: string
  credits: number
}

/** The primary account after spending it down: the probe that shows whether bad input charged a card. */
export interface DrainedAccount {
  clientId: string
  /** The answer that refused to spend (expected: 402 insufficient_credits). */
  refusal: Exchange
  /** creditsRemaining of the last served call, if any. */
  lastCredits?: number
}

/** Stops a drain that never ends (a server that never runs out). */
const MAX_DRAIN_CALLS = 10_000

export class Session {
  readonly target: Target
  readonly route: Route
  readonly freeRoute: Route | undefined
  /** A paid route with a `:param` or `*`, in pattern form (`/users/:id`). */
  readonly paramRoute: Route | undefined
  /** A paid route whose handler fails, for the reversal audit. */
  readonly failingRoute: Route | undefined
  /** A paid route whose handler fails after a 200 and its first bytes went out. */
  readonly streamingFailingRoute: Route | undefined
  private readonly tokenizer: Tokenizer
  private readonly payment: ServerAuditOptions['payment']
  private readonly primaryCard: Card | undefined
  private readonly memo = new Map<string, Promise<unknown>>()
  /** Per-run card numbers of the account roles, so a server that keeps its ledger meets new cards. */
  private readonly freshNumbers: Map<CardRole, string> | undefined
  /** The emulator's URL when the suite tokenizes there: charges can then be read from its side. */
  private readonly stripeApi: string | undefined

  constructor(options: ServerAuditOptions) {
    this.target = targetFor(options.url, options.fetch)
    this.route = parseRoute(options.route)
    this.freeRoute =
      options.freeRoute === undefined ? undefined : parseRoute(options.freeRoute, 'freeRoute')
    this.paramRoute =
      options.paramRoute === undefined ? undefined : parseParamRoute(options.paramRoute)
    this.failingRoute =
      options.failingRoute === undefined
        ? undefined
        : parseRoute(options.failingRoute, 'failingRoute')
    this.streamingFailingRoute =
      options.streamingFailingRoute === undefined
        ? undefined
        : parseRoute(options.streamingFailingRoute, 'streamingFailingRoute')
    this.tokenizer = tokenizerFor(options.payment, new URL(options.url).origin)
    this.primaryCard = options.payment.card
    this.payment = options.payment
    const stripeApi = 'stripeApi' in options.payment ? options.payment.stripeApi : undefined
    this.stripeApi = isEmulator(stripeApi) ? stripeApi : undefined
    if (options.freshCards ?? this.stripeApi !== undefined) this.freshNumbers = freshAccounts()
  }

  /** Runs `compute` once per session; audits that look at the same exchange share it. */
  once<T>(key: string, compute: () => Promise<T>): Promise<T> {
    let value = this.memo.get(key) as Promise<T> | undefined
    if (!value) {
      value = compute()
      this.memo.set(key, value)
    }
    return value
  }

  async send(out: Outgoing): Promise<Exchange> {
    const ex = await send(this.target, out)
    // Counters of failed payments outlive a run on a server that keeps its state (spec §14.4).
    if (ex.status === 429) fail(rateLimited(ex), ex)
    return ex
  }

  /**
   * Why no audit can be judged, or undefined: the host cannot be reached, or the paid route does
   * not answer 402 (a mistyped route, a wrong base path). Every audit would fail for that one cause.
   */
  async unpayable(): Promise<string | undefined> {
    let ex: Exchange
    try {
      ex = await this.challengeExchange()
    } catch (error) {
      return (error as Error).message
    }
    if (ex.status === 402) return undefined
    const { method, path } = this.route
    return `${method} ${this.target.base}${path} answered ${ex.status}, not 402: it is not a paid route of this server (check --route and the base URL).`
  }

  /** The paid route (or a variant of its path) without any payment. */
  unpaid(
    path = this.route.path,
    options: {
      method?: string
      raw?: boolean
      absoluteForm?: boolean
      headers?: Record<string, string>
    } = {},
  ): Promise<Exchange> {
    return this.send({
      method: options.method ?? this.route.method,
      path,
      raw: options.raw,
      absoluteForm: options.absoluteForm,
      headers: options.headers,
    })
  }

  /** The emulator's view of the account the server charges in, or undefined when paying on Stripe itself. */
  stripeView(): Promise<StripeView | undefined> {
    return this.once('stripe-view', async () => {
      if (!this.stripeApi) return undefined
      return new StripeView(this.stripeApi, (await this.offer()).publishableKey)
    })
  }

  /** The primary card's fingerprint on the emulator, to count its charges. */
  primaryFingerprint(view: StripeView): Promise<string> {
    return this.once('primary-fingerprint', async () =>
      view.fingerprint(await this.paymentMethod('primary')),
    )
  }

  /** The paid route with `payment` as the payment header: a payload object is encoded, a string is sent as is. */
  withPayment(payment: object | string): Promise<Exchange> {
    const header = typeof payment === 'string' ? payment : encodeHeader(payment)
    return this.send({
      method: this.route.method,
      path: this.route.path,
      headers: { [HEADERS.PAYMENT]: header },
    })
  }

  /** The first 402 challenge, shared by every audit that looks at it. */
  challengeExchange(): Promise<Exchange> {
    return this.once('challenge', () => this.unpaid())
  }

  /** The price the server asks, from a valid challenge; fails the audit when the challenge cannot be paid. */
  offer(): Promise<Offer> {
    return this.once('offer', async () => {
      const ex = await this.challengeExchange()
      const challenge = challengeOf(ex)
      if (!challenge.ok)
        fail(`Cannot pay: the paid route gave no valid challenge (${challenge.reason}).`, ex)
      const stripe = challenge.value.accepts.find((a) => a.scheme === 'stripe')
      if (!stripe) fail('Cannot pay: the challenge offers no "stripe" scheme.', ex)
      const { currency, amount, minTopUp, maxTopUp, publishableKey } = stripe
      return {
        currency,
        amount,
        minTopUp,
        maxTopUp,
        publishableKey,
        extensions: challenge.value.extensions ?? [],
      }
    })
  }

  card(role: CardRole): Card {
    if (role === 'primary' && this.primaryCard) return this.primaryCard
    const number = this.freshNumbers?.get(role) ?? CARDS[role]
    return testCard(number)
  }

  /** The card number each role pays with in this run. */
  cards(): Record<CardRole, string> {
    const roles = Object.keys(CARDS) as CardRole[]
    return Object.fromEntries(roles.map((role) => [role, this.card(role).number])) as Record<
      CardRole,
      string
    >
  }

  /** A new PaymentMethod for the role's card (same card number, so same fingerprint, every time). */
  async paymentMethod(role: CardRole): Promise<string> {
    const { publishableKey } = await this.offer()
    return this.tokenizer(publishableKey, this.card(role))
  }

  /**
   * A new PaymentMethod of the role's card bound to `origin` instead of the server's, as a relaying
   * origin would hold it; undefined when a custom `createPaymentMethod` tokenizes (it binds, or not, itself).
   */
  async paymentMethodBoundTo(role: CardRole, origin: string): Promise<string | undefined> {
    if (!('stripeApi' in this.payment)) return undefined
    const { publishableKey } = await this.offer()
    const base = this.payment.stripeApi.replace(/\/+$/, '')
    return createPaymentMethod(base, publishableKey, this.card(role), origin)
  }

  /** Pays for the route with a new PaymentMethod of the role's card. */
  async pay(role: CardRole, extra: Record<string, unknown> = {}): Promise<Exchange> {
    const paymentMethodId = await this.paymentMethod(role)
    return this.withPayment({ stripe402Version: 1, paymentMethodId, ...extra })
  }

  /** Spends credits with a credential. */
  spend(clientId: string, extra: Record<string, unknown> = {}): Promise<Exchange> {
    return this.withPayment({ stripe402Version: 1, clientId, ...extra })
  }

  /**
   * Spends credits with a credential on another route of the server (e.g. the failing route);
   * `partial` keeps the body read so far when the stream aborts.
   */
  spendOn(route: Route, clientId: string, partial?: boolean): Promise<Exchange> {
    return this.send({
      method: route.method,
      path: route.path,
      headers: { [HEADERS.PAYMENT]: encodeHeader({ stripe402Version: 1, clientId }) },
      ...(partial ? { partial } : {}),
    })
  }

  /** A top-up that pays for `calls` requests: at least minTopUp, at most maxTopUp. */
  async topUpCovering(calls: number): Promise<number> {
    const { amount, minTopUp, maxTopUp } = await this.offer()
    const wanted = Math.max(minTopUp, calls * amount)
    return maxTopUp === undefined ? wanted : Math.min(wanted, maxTopUp)
  }

  /** The primary card's first payment, with no topUpAmount (so the server charges minTopUp). */
  firstPayment(): Promise<Exchange> {
    return this.once('first-payment', () => this.pay('primary'))
  }

  /** The primary account's credential and balance after its first payment. */
  primaryAccount(): Promise<Account> {
    return this.once('primary-account', async () => {
      const response = served(await this.firstPayment(), 'The first payment with the primary card')
      return { clientId: response.clientId, credits: response.creditsRemaining }
    })
  }

  /** An account funded for about twenty calls, that audits spend from and compare balances before and after. */
  fundedAccount(): Promise<Account> {
    return this.once('funded-account', async () => {
      const ex = await this.pay('funded', { topUpAmount: await this.topUpCovering(20) })
      const response = served(ex, 'Paying with the funded card')
      return { clientId: response.clientId, credits: response.creditsRemaining }
    })
  }

  /** The funded account's credential and its balance, read by spending one call from it now. */
  async fundedBalance(): Promise<{ clientId: string; balance: number }> {
    const { clientId } = await this.fundedAccount()
    const spent = served(await this.spend(clientId), 'Spending from the funded account')
    return { clientId, balance: spent.creditsRemaining }
  }

  /** Spends the primary account until the server refuses; from then on a served spend means someone credited it. */
  drained(): Promise<DrainedAccount> {
    return this.once('drained', async () => this.drain((await this.primaryAccount()).clientId))
  }

  /** Empties the drained account again after a fault credited it, so later audits start from the same state. */
  async drainAgain(): Promise<void> {
    await this.drain((await this.drained()).clientId)
  }

  private async drain(clientId: string): Promise<DrainedAccount> {
    let lastCredits: number | undefined
    for (let calls = 0; calls < MAX_DRAIN_CALLS; calls++) {
      const ex = await this.spend(clientId)
      if (!isServed(ex)) return { clientId, refusal: ex, lastCredits }
      const response = paymentResponseOf(ex)
      if (response.ok) lastCredits = response.value.creditsRemaining
    }
    return fail(
      `The server still served the primary credential after ${MAX_DRAIN_CALLS} calls: its credits never run out.`,
    )
  }
}

/** A 429 named as what it is: the server's own limit, with how to get past it. */
function rateLimited(ex: Exchange): string {
  const after = ex.headers['retry-after']
  return (
    `The server answered 429 (its rate limit, spec §14.4), not a verdict on this requirement: failed payments of earlier runs still count` +
    ` against this client address or card. Wait ${after ? `${after} s (Retry-After)` : 'for its window'}, or restart the server with` +
    ' fresh rate-limit counters (the reference server keeps them in its ledger; `rateLimits: false` turns them off in tests).'
  )
}

/** Expects a served request with a valid, successful payment-response, and returns that response. */
export function served(ex: Exchange, what: string): PaymentResponse {
  if (!isServed(ex)) fail(`${what} was answered ${ex.status}, not served.`, ex)
  const response = paymentResponseOf(ex)
  if (!response.ok)
    fail(`${what} was served, but its payment-response is not valid: ${response.reason}.`, ex)
  if (!response.value.success)
    fail(`${what} was served with a payment-response saying success: false.`, ex)
  return response.value
}
