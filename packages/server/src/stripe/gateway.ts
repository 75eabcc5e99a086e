/** The only module that talks to Stripe: a narrow wrapper over the official SDK. */
import { ORIGIN_BINDING, STRIPE402_VERSION } from '@stripe402/protocol'
import Stripe from 'stripe'

/** Metadata every stripe402 PaymentIntent carries, so a webhook or reconcile can credit it without the request. */
export const METADATA = {
  ACCOUNT: 'stripe402_account',
  UNITS: 'stripe402_units',
  CURRENCY: 'stripe402_currency',
  VERSION: 'stripe402_version',
  /** Which paywall charged it: deployments sharing a Stripe account never credit each other's top-ups. */
  PAYWALL: 'stripe402_paywall',
  /** A hash of the charge's Idempotency-Key: finds the PaymentIntent of a charge whose answer Stripe keeps as an error. */
  ATTEMPT: 'stripe402_attempt',
} as const

/** The id of a field Stripe returns as an id or, when expanded, as the object. */
export function idOf(value: string | { id: string } | null | undefined): string | undefined {
  if (!value) return undefined
  return typeof value === 'string' ? value : value.id
}

export interface TopUpRequest {
  paymentMethodId: string
  /** The Customer the PaymentMethod is attached to, or null to attach it to a new one first. */
  customerId: string | null
  accountId: string
  /**
   * What `stripe402_account` metadata says instead of `accountId` when the account id spends by
   * itself (`credentials: 'account'`): a sealed form only this paywall's secrets open.
   */
  metadataAccountId?: string
  /** Units credited; already a whole number of the currency's minor unit. */
  units: number
  amountMinor: number
  currency: string
  description: string
  idempotencyKey: string
  paywallId: string
  /**
   * `stripe402_attempt` metadata for the PaymentIntent (a hash of `idempotencyKey`), so that it can
   * be found when Stripe's answer was lost. Absent in records written before it existed, whose
   * replay must send exactly the parameters of the first request.
   */
  attempt?: string
}

export interface StripeGateway {
  readonly client: Stripe
  /** The card behind a PaymentMethod (fingerprint, Customer it is attached to), or null when it is not a card. */
  cardOf(paymentMethodId: string): Promise<CardPaymentMethod | null>
  /**
   * Creates and confirms an off-session PaymentIntent. A PaymentMethod that is not attached to
   * a Customer yet is attached to a new one first: unattached, Stripe lets it be charged only
   * once, and clients (agents with a stored pm_ id, a cached tokenization) pay with it again.
   * The same request again (same idempotency key) replays every step instead of repeating it.
   */
  chargeTopUp(request: TopUpRequest): Promise<Stripe.Response<Stripe.PaymentIntent>>
  retrievePaymentIntent(id: string): Promise<Stripe.PaymentIntent>
  /** A PaymentIntent as it is now, with `latest_charge` expanded (its refunds and disputes show there). */
  retrieveTopUp(id: string): Promise<Stripe.PaymentIntent>
  /**
   * The PaymentIntent `request` created, found by its `stripe402_attempt` metadata among the
   * Customer's PaymentIntents created since `sinceMs` (a list, which unlike search does not lag),
   * with `latest_charge` expanded; null when there is none. Also the Customer the PaymentMethod is
   * attached to now (the request may have attached it). Throws when it cannot tell.
   */
  findTopUp(
    request: TopUpRequest & { attempt: string },
    sinceMs: number,
  ): Promise<{ paymentIntent: Stripe.PaymentIntent | null; customerId: string | null }>
  retrieveCharge(id: string): Promise<Stripe.Charge>
  retrieveDispute(id: string): Promise<Stripe.Dispute>
  listRefunds(chargeId: string): Promise<Stripe.Refund[]>
  listDisputes(paymentIntentId: string): Promise<Stripe.Dispute[]>
  /** PaymentIntents created since `since` (epoch seconds), newest first, up to `limit`, with `latest_charge` expanded. */
  listPaymentIntents(since: number | undefined, limit: number): AsyncIterable<Stripe.PaymentIntent>
  /** Verifies a webhook signature (Web Crypto outside Node) and parses the event. */
  constructEvent(
    rawBody: string | Uint8Array,
    signature: string,
    secret: string,
  ): Promise<Stripe.Event>
}

/** Seconds of clock difference with Stripe allowed for when listing PaymentIntents created since a time. */
const FIND_CLOCK_MARGIN_S = 600
/** Most PaymentIntents of one Customer looked through for a lost top-up; one card tops up once at a time. */
const FIND_MAX_SCANNED = 1_000

export interface CardPaymentMethod {
  fingerprint: string
  customerId: string | null
  /** The origin the client bound it to (`stripe402_origin` metadata, spec §7.4); absent when unbound. */
  origin?: string
}

export interface GatewayOptions {
  secretKey?: string
  apiBase: string
  timeoutMs: number
  maxNetworkRetries: number
  /** `fetch` for runtimes without Node's `http` module (Cloudflare Workers, Deno, Bun, browsers). */
  httpClient: 'node' | 'fetch'
  client?: Stripe
}

/** `fetch` unless this is Node: the SDK's Node client needs `node:http`, which Workers do not have. */
export function defaultHttpClient(
  runtime: { versions?: { node?: string } } | undefined,
): 'node' | 'fetch' {
  return runtime?.versions?.node ? 'node' : 'fetch'
}

/** Builds the SDK client from an API base URL, the way the emulator and real Stripe are both reached. */
export function createStripeClient(options: GatewayOptions): Stripe {
  if (options.client) return options.client
  const base = new URL(options.apiBase)
  const protocol = base.protocol === 'http:' ? 'http' : 'https'
  return new Stripe(options.secretKey ?? '', {
    host: base.hostname,
    port: base.port || (protocol === 'http' ? 80 : 443),
    protocol,
    timeout: options.timeoutMs,
    maxNetworkRetries: options.maxNetworkRetries,
    telemetry: false,
    appInfo: { name: 'stripe402', url: 'https://github.com/stripe402/stripe402' },
    ...(options.httpClient === 'fetch' && { httpClient: Stripe.createFetchHttpClient() }),
  })
}

export function createStripeGateway(options: GatewayOptions): StripeGateway {
  const client = createStripeClient(options)
  // Web Crypto verifies signatures everywhere; Node's default provider would need node:crypto.
  const cryptoProvider =
    options.httpClient === 'fetch' ? Stripe.createSubtleCryptoProvider() : undefined
  return {
    client,
    async cardOf(paymentMethodId) {
      const pm = await client.paymentMethods.retrieve(paymentMethodId)
      if (pm.type !== 'card' || !pm.card?.fingerprint) return null
      const origin = pm.metadata?.[ORIGIN_BINDING.METADATA_KEY]
      return {
        fingerprint: pm.card.fingerprint,
        customerId: idOf(pm.customer) ?? null,
        ...(typeof origin === 'string' && origin !== '' && { origin }),
      }
    },
    async chargeTopUp(request) {
      // Derived idempotency keys: a retried top-up replays these steps instead of repeating them.
      let customer = request.customerId
      if (customer === null) {
        const created = await client.customers.create(
          {
            description: 'stripe402 payer',
            metadata: {
              [METADATA.ACCOUNT]: request.metadataAccountId ?? request.accountId,
              [METADATA.PAYWALL]: request.paywallId,
            },
          },
          { idempotencyKey: `${request.idempotencyKey}-customer` },
        )
        customer = created.id
        await client.paymentMethods.attach(
          request.paymentMethodId,
          { customer },
          { idempotencyKey: `${request.idempotencyKey}-attach` },
        )
      }
      return client.paymentIntents.create(
        {
          amount: request.amountMinor,
          currency: request.currency,
          customer,
          payment_method: request.paymentMethodId,
          confirm: true,
          // The payer is an API client, not a person at a checkout page: no redirect can be followed.
          off_session: true,
          automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
          description: request.description,
          metadata: {
            [METADATA.ACCOUNT]: request.metadataAccountId ?? request.accountId,
            [METADATA.UNITS]: String(request.units),
            [METADATA.CURRENCY]: request.currency,
            [METADATA.VERSION]: String(STRIPE402_VERSION),
            [METADATA.PAYWALL]: request.paywallId,
            ...(request.attempt !== undefined && { [METADATA.ATTEMPT]: request.attempt }),
          },
        },
        { idempotencyKey: request.idempotencyKey },
      )
    },
    retrievePaymentIntent: (id) => client.paymentIntents.retrieve(id),
    retrieveTopUp: (id) => client.paymentIntents.retrieve(id, { expand: ['latest_charge'] }),
    async findTopUp(request, sinceMs) {
      let customer = request.customerId
      if (customer === null) {
        const pm = await client.paymentMethods.retrieve(request.paymentMethodId)
        customer = idOf(pm.customer) ?? null
      }
      // chargeTopUp attaches the PaymentMethod before it creates the PaymentIntent: unattached, it was never charged.
      if (customer === null) return { paymentIntent: null, customerId: null }
      const list = client.paymentIntents.list({
        customer,
        // Our clock against Stripe's: a margin either way costs a few more items, never a miss.
        created: { gte: Math.floor(sinceMs / 1000) - FIND_CLOCK_MARGIN_S },
        limit: 100,
        expand: ['data.latest_charge'],
      })
      let seen = 0
      for await (const pi of list) {
        if (pi.metadata?.[METADATA.ATTEMPT] === request.attempt)
          return { paymentIntent: pi, customerId: customer }
        if (++seen >= FIND_MAX_SCANNED)
          throw new Error(
            `more than ${FIND_MAX_SCANNED} PaymentIntents to look through for a lost top-up`,
          )
      }
      return { paymentIntent: null, customerId: customer }
    },
    retrieveCharge: (id) => client.charges.retrieve(id),
    retrieveDispute: (id) => client.disputes.retrieve(id),
    async listRefunds(chargeId) {
      const refunds: Stripe.Refund[] = []
      for await (const refund of client.refunds.list({ charge: chargeId, limit: 100 }))
        refunds.push(refund)
      return refunds
    },
    async listDisputes(paymentIntentId) {
      const disputes: Stripe.Dispute[] = []
      for await (const dispute of client.disputes.list({
        payment_intent: paymentIntentId,
        limit: 100,
      }))
        disputes.push(dispute)
      return disputes
    },
    listPaymentIntents(since, limit) {
      const list = client.paymentIntents.list({
        limit: Math.min(100, limit),
        expand: ['data.latest_charge'],
        ...(since !== undefined && { created: { gte: since } }),
      })
      return (async function* () {
        let seen = 0
        for await (const pi of list) {
          if (seen++ >= limit) return
          yield pi
        }
      })()
    },
    constructEvent(rawBody, signature, secret) {
      // Stripe signs UTF-8 JSON; decoding it back to text needs no Buffer, which Workers lack.
      const payload = typeof rawBody === 'string' ? rawBody : new TextDecoder().decode(rawBody)
      return client.webhooks.constructEventAsync(
        payload,
        signature,
        secret,
        undefined,
        cryptoProvider,
      )
    },
  }
}
