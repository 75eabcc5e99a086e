/**
 * Test-only: a small stripe402 server and Stripe tokenization endpoint on node:http. The real
 * engine always announces extensions; this fake also plays a bare v1 server (no `extensions`,
 * challenge only in the body) so the client's compatibility paths can be tested.
 */
import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  decodePaymentPayload,
  encodePaymentRequired,
  encodePaymentResponse,
  type PaymentPayload,
  type PaymentRequired,
  type PaymentResponse,
} from '@stripe402/protocol'

export interface FakeRoute {
  amount: number
  minTopUp: number
  currency?: string
}

export interface FakeServerOptions {
  routes: Record<string, FakeRoute>
  /** Announced in challenges; `undefined` plays a v1 server (and ignores maxAmount). */
  extensions?: string[]
  /** `body`: the challenge only in the 402 body, as some v1 servers do. */
  challengeIn?: 'header' | 'body'
  /** Charge and credit the first N top-ups, then answer 503 as if Stripe's answer had been lost. */
  loseTopUpAnswers?: number
  /** Answer the first N top-ups with a 402 head (no `payment-required`), then drop the connection halfway through the body. Nothing is charged. */
  breakTopUpAnswers?: number
  /** Refuse a payment as a v1 server does: a 402 with a `PaymentResponse` body (`success: false`) and no `payment-required`. */
  v1Refusals?: boolean
  /** Play a hostile origin: charge every top-up's card, then answer 402 `card_declined` as if it had not been charged. */
  claimDeclined?: boolean
  /** Play a hostile origin: charge every top-up's card, then serve the call with a receipt that names no charge and leaves no credits. */
  claimNoCharge?: boolean
}

export interface SeenRequest {
  method: string
  path: string
  payment?: PaymentPayload
  body: string
  contentType?: string
}

export interface FakeServer {
  url: string
  /** Named in challenges and accepted for tokenization; set it to play a server that moved to another Stripe account. */
  publishableKey: string
  requests: SeenRequest[]
  stripeRequests: { path: string; authorization?: string }[]
  charges: { units: number; paymentMethodId: string }[]
  routes: Record<string, FakeRoute>
  close(): Promise<void>
}

const DECLINING_CARD = '4000000000000002'

export async function startFakeServer(options: FakeServerOptions): Promise<FakeServer> {
  let publishableKey = `pk_test_fake${randomBytes(4).toString('hex')}`
  const requests: SeenRequest[] = []
  const stripeRequests: FakeServer['stripeRequests'] = []
  const charges: FakeServer['charges'] = []
  const cards = new Map<string, string>() // pm id → card number
  const credits = new Map<string, number>() // clientId → units
  const byKey = new Map<string, { clientId: string; chargeId: string }>() // idempotencyKey → its top-up, replayed
  let answersToLose = options.loseTopUpAnswers ?? 0
  let answersToBreak = options.breakTopUpAnswers ?? 0
  const honoursMaxAmount = options.extensions?.includes('maxAmount') === true
  // As a v1 server: a key it does not announce is ignored, so a resent top-up is charged again.
  const honoursIdempotencyKey = options.extensions?.includes('idempotencyKey') === true

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      res.writeHead(500).end(String(error))
    })
  })

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req)
    const url = new URL(req.url ?? '/', 'http://x')
    if (url.pathname === '/v1/payment_methods') {
      stripeRequests.push({
        path: url.pathname,
        ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
      })
      const form = new URLSearchParams(body)
      const number = form.get('card[number]') ?? ''
      if (req.headers.authorization !== `Bearer ${publishableKey}`)
        return json(res, 401, {
          error: { type: 'invalid_request_error', message: 'Invalid API Key provided' },
        })
      if (!/^\d{16}$/.test(number) || number === '4000000000000000') {
        return json(res, 402, {
          error: {
            type: 'card_error',
            code: 'incorrect_number',
            message: 'Your card number is incorrect.',
          },
        })
      }
      const id = `pm_${randomBytes(8).toString('hex')}`
      cards.set(id, number)
      return json(res, 200, { id, object: 'payment_method', type: 'card' })
    }
    const key = `${req.method} ${url.pathname}`
    const header = req.headers.payment
    let payment: PaymentPayload | undefined
    if (typeof header === 'string') payment = decodePaymentPayload(header)
    requests.push({
      method: req.method ?? 'GET',
      path: url.pathname,
      ...(payment ? { payment } : {}),
      body,
      ...(req.headers['content-type'] ? { contentType: req.headers['content-type'] } : {}),
    })
    const route = options.routes[key]
    if (!route) return json(res, 200, { free: true })
    const currency = route.currency ?? 'usd'
    const challenge = (error?: string, receipt?: PaymentResponse) => {
      const required: PaymentRequired = {
        stripe402Version: 1,
        resource: { url: url.pathname },
        accepts: [
          {
            scheme: 'stripe',
            currency,
            amount: route.amount,
            minTopUp: route.minTopUp,
            publishableKey,
          },
        ],
        ...(error ? { error } : {}),
        ...(options.extensions ? { extensions: options.extensions } : {}),
      }
      const headers: Record<string, string> = { 'content-type': 'application/json' }
      if (options.challengeIn !== 'body')
        headers['payment-required'] = encodePaymentRequired(required)
      if (receipt) headers['payment-response'] = encodePaymentResponse(receipt)
      res.writeHead(402, headers).end(JSON.stringify(required))
    }
    if (!payment) return challenge()
    if (honoursMaxAmount && payment.maxAmount !== undefined && route.amount > payment.maxAmount)
      return challenge('price_above_max_amount')
    if (payment.paymentMethodId && answersToBreak > 0) {
      answersToBreak -= 1
      res.writeHead(402, { 'content-type': 'application/json', 'content-length': '4096' })
      res.write('{"stripe402Version":1,"resource"')
      setTimeout(() => res.socket?.destroy(), 20)
      return
    }
    let clientId =
      payment.clientId !== undefined && credits.has(payment.clientId) ? payment.clientId : undefined
    let chargeId: string | undefined
    const replayed =
      honoursIdempotencyKey && payment.idempotencyKey !== undefined
        ? byKey.get(payment.idempotencyKey)
        : undefined
    if (replayed) {
      clientId = replayed.clientId
      chargeId = replayed.chargeId
    } else if (
      (clientId === undefined || (credits.get(clientId) ?? 0) < route.amount) &&
      payment.paymentMethodId
    ) {
      const number = cards.get(payment.paymentMethodId)
      if (!number) return challenge('invalid_payment')
      if (number === DECLINING_CARD) {
        if (options.v1Refusals)
          return json(res, 402, {
            success: false,
            error: 'Your card was declined.',
            errorCode: 'card_declined',
          })
        return challenge('card_declined')
      }
      const units = payment.topUpAmount ?? route.minTopUp
      if (units < route.minTopUp) return challenge('top_up_below_minimum')
      clientId ??= `cid_${randomBytes(8).toString('hex')}`
      charges.push({ units, paymentMethodId: payment.paymentMethodId })
      if (options.claimDeclined) return challenge('card_declined')
      chargeId = `pi_${randomBytes(8).toString('hex')}`
      credits.set(clientId, (credits.get(clientId) ?? 0) + units)
      if (options.claimNoCharge) {
        chargeId = undefined
        credits.set(clientId, route.amount)
      }
      if (payment.idempotencyKey !== undefined && chargeId !== undefined)
        byKey.set(payment.idempotencyKey, { clientId, chargeId })
      if (answersToLose > 0) {
        answersToLose -= 1
        return json(res, 503, { error: 'payment_unavailable', message: 'Stripe did not answer.' })
      }
    }
    if (clientId === undefined) return challenge('payment_required')
    const balance = credits.get(clientId) ?? 0
    if (balance < route.amount) {
      return challenge('insufficient_credits', {
        success: false,
        clientId,
        creditsRemaining: balance,
        errorCode: 'insufficient_credits',
      })
    }
    credits.set(clientId, balance - route.amount)
    const receipt: PaymentResponse = {
      success: true,
      clientId,
      creditsRemaining: balance - route.amount,
      ...(chargeId ? { chargeId } : {}),
    }
    res.writeHead(200, {
      'content-type': 'application/json',
      'payment-response': encodePaymentResponse(receipt),
    })
    res.end(
      JSON.stringify({
        ok: true,
        method: req.method,
        path: url.pathname,
        body,
        contentType: req.headers['content-type'] ?? null,
      }),
    )
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    get publishableKey() {
      return publishableKey
    },
    set publishableKey(key: string) {
      publishableKey = key
    },
    requests,
    stripeRequests,
    charges,
    routes: options.routes,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

function json(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value))
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}
