/** Test-only: one emulator per test file, SDK clients bound to it, and a webhook receiver verifying signatures with the SDK. */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import Stripe from 'stripe'
import { afterAll, beforeAll, beforeEach } from 'vitest'
import { testCardParams } from '../../src/cards/test-params'
import type { TestCardName } from '../../src/cards/table'
import {
  startStripeEmulator,
  type StripeEmulator,
  type StripeEmulatorOptions,
} from '../../src/emulator'

export interface EmulatorHarness {
  readonly emu: StripeEmulator
  /** A server-side client (secret key) with retries off unless `config` says otherwise. */
  stripe(account?: string, config?: Stripe.StripeConfig): Stripe
  /** A client with the publishable key, as a browser or an agent tokenizing a card would have. */
  publishable(account?: string, config?: Stripe.StripeConfig): Stripe
  /** Tokenizes a test card with the publishable key and returns the PaymentMethod. */
  tokenize(card: TestCardName, account?: string): Promise<Stripe.PaymentMethod>
}

/** Starts an emulator for the file and resets it before each test. */
export function useEmulator(options?: StripeEmulatorOptions): EmulatorHarness {
  let emulator: StripeEmulator | undefined
  beforeAll(async () => {
    emulator = await startStripeEmulator(options)
  })
  afterAll(async () => {
    await emulator?.close()
  })
  beforeEach(() => {
    emulator?.reset()
  })
  const emu = (): StripeEmulator => {
    if (!emulator) throw new Error('emulator not started')
    return emulator
  }
  const client = (key: string, config: Stripe.StripeConfig = {}) =>
    new Stripe(key, { ...emu().sdkConfig(), maxNetworkRetries: 0, ...config })
  const harness: EmulatorHarness = {
    get emu() {
      return emu()
    },
    stripe: (account = 'emulator', config) => client(emu().keys(account).secretKey, config),
    publishable: (account = 'emulator', config) =>
      client(emu().keys(account).publishableKey, config),
    tokenize: (card, account = 'emulator') =>
      harness
        .publishable(account)
        .paymentMethods.create({ type: 'card', card: testCardParams(card) }),
  }
  return harness
}

/** Test card parameters typed for `stripe.tokens.create({ card })`, whose expiry fields are strings in the SDK types. */
export function tokenCard(
  card: TestCardName,
  overrides: Record<string, string | number> = {},
): Stripe.TokenCreateParams.Card {
  const params: Record<string, string | number> = { ...testCardParams(card), ...overrides }
  return Object.fromEntries(
    Object.entries(params).map(([k, v]) => [k, String(v)]),
  ) as unknown as Stripe.TokenCreateParams.Card
}

/** Awaits a rejected promise and returns its error, failing if it resolves. */
export async function rejectionOf(
  promise: Promise<unknown>,
): Promise<Stripe.errors.StripeError & Record<string, unknown>> {
  try {
    await promise
  } catch (error) {
    return error as Stripe.errors.StripeError & Record<string, unknown>
  }
  throw new Error('expected the call to fail, but it succeeded')
}

/** Stripe's own message for an error: SDK 23+ prefixes `error.message` with `[req_…] `. */
export function messageOf(error: { message: string; raw?: unknown }): string {
  const raw = error.raw as { message?: unknown } | undefined
  return typeof raw?.message === 'string' ? raw.message : error.message
}

export interface WebhookReceiver {
  url: string
  /** Events whose signature `stripe.webhooks.constructEvent` accepted. */
  events: Stripe.Event[]
  /** Requests whose signature was refused. */
  rejected: { error: string; header: string | undefined }[]
  /** Every request received, including the ones answered with an error. */
  hits: number
  /** The Stripe-Signature header of every request. */
  signatures: string[]
  close(): Promise<void>
}

/**
 * A small node:http receiver that verifies each delivery with the official SDK, answering
 * 400 on a bad signature and `failFirst` times 500 before accepting.
 */
export async function startReceiver(
  secret: string,
  options: { failFirst?: number } = {},
): Promise<WebhookReceiver> {
  const verifier = new Stripe('sk_test_receiver')
  let toFail = options.failFirst ?? 0
  const receiver: Omit<WebhookReceiver, 'url' | 'close'> = {
    events: [],
    rejected: [],
    hits: 0,
    signatures: [],
  }
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      receiver.hits++
      receiver.signatures.push(String(req.headers['stripe-signature']))
      if (toFail > 0) {
        toFail--
        res.writeHead(500).end('try again')
        return
      }
      const header = req.headers['stripe-signature']
      try {
        const event = verifier.webhooks.constructEvent(
          Buffer.concat(chunks),
          header as string,
          secret,
        )
        receiver.events.push(event)
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"received":true}')
      } catch (error) {
        receiver.rejected.push({
          error: (error as Error).message,
          header: header as string | undefined,
        })
        res.writeHead(400).end('bad signature')
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${port}/webhooks`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  })
}

/** A port with nothing listening on it: a webhook URL that can never be reached. */
export async function unusedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
