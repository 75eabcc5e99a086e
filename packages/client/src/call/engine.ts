/** What every paid call shares (engine) and what one call tracks as it goes (call state). */
import {
  encodePaymentPayload,
  type PaymentPayload,
  type PaymentRequirements,
} from '@stripe402/protocol'
import type { PaymentEvent } from '../events'
import type { Policy } from '../options'
import { attachPaymentInfo, type PaymentInfo } from '../payment-info'
import { type Sent, sendWithPayment } from '../request/redirects'
import type { ReplayableRequest } from '../request/replayable'
import type { PaymentMethods } from '../stripe/payment-methods'
import type { WalletKeeper } from '../wallet/keeper'
import type { Credential, JournalEntry } from '../wallet/snapshot'
import type { FlightOutcome, Flights } from './flights'

export interface Engine {
  fetch: typeof fetch
  policy: Policy
  originAllowed: (origin: string) => boolean
  /** HTTPS or loopback, or any origin with `allowInsecureHttp`: where payment headers may go. */
  transportAllowed: (origin: string) => boolean
  wallet: WalletKeeper
  methods: PaymentMethods
  flights: Flights
  emit: (event: PaymentEvent) => void
  now: () => number
  /** How long a call waits for another call's top-up to the same origin before giving up. */
  topUpWaitMs: number
}

/** A top-up on its way: the reserved journal line and the flight it holds. */
export interface TopUpInFlight {
  entry: JournalEntry
  units: number
  finish: (outcome: FlightOutcome) => void
  /** A replay of a top-up whose answer was lost: its journal line may stand for a real charge whatever this answer says. */
  replay: boolean
}

export interface CallState {
  engine: Engine
  request: ReplayableRequest
  /** From `Flights.ticket()`: which shared card failures concern this call. */
  ticket: number
  /** Requests sent to the API so far. */
  requests: number
  /** The payload of the last send, if any. */
  sent: PaymentPayload | undefined
  /** True when the last send carried the credential up front (no 402 met yet). */
  upFront: boolean
  /** The price being paid, once a challenge was accepted. */
  requirements: PaymentRequirements | undefined
  /** Set once credits were offered in answer to a 402: it happens at most once per call. */
  creditsRetried: boolean
  /**
   * The last credential offer: its ceiling and the credential object it came from. A 402 to
   * an offer that covered the price means "no credits", unless the credential changed since
   * (a top-up by another call replaces the object).
   */
  creditsOffered: { upTo: number; credential: Credential } | undefined
  topUp: TopUpInFlight | undefined
  /** Credits the wallet held on a credential the server no longer knows (a wiped ledger). */
  creditsVanished?: number
}

/** Hard cap on sends per call: plain or up front, credits after a 402, top-up. Never a loop. */
export const MAX_SENDS = 3

/** One send; with a payload, its redirects are followed by hand so the header stays on the origin. */
export async function send(call: CallState, payload: PaymentPayload | undefined): Promise<Sent> {
  call.requests += 1
  call.sent = payload
  const { engine, request } = call
  if (payload === undefined) return { answer: await engine.fetch(request.url, request.init()) }
  return sendWithPayment(engine.fetch, request, encodePaymentPayload(payload))
}

/** What a call reports about its payment; `finishWith` adds the origin, route and request count. */
export type CallInfo = Omit<PaymentInfo, 'origin' | 'route' | 'requests'>

export function finishWith(call: CallState, response: Response, info: CallInfo): Response {
  return attachPaymentInfo(response, {
    origin: call.request.origin,
    route: call.request.route,
    requests: call.requests,
    ...(call.creditsVanished !== undefined && { creditsVanished: call.creditsVanished }),
    ...info,
  })
}
