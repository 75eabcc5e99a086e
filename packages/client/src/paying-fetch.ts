/** `createPayingFetch`: a fetch that answers stripe402 challenges by itself, inside a budget. */
import { Flights } from './call/flights'
import { runCall } from './call/run'
import { emitter } from './events'
import type { PayingFetchOptions } from './options'
import { attachPaymentInfo } from './payment-info'
import { originMatcher } from './policy/origins'
import { sendWithPayment } from './request/redirects'
import { prepareRequest } from './request/replayable'
import { mayCarryPayment } from './request/transport'
import { createMemoryStore } from './store/memory'
import { PaymentMethods } from './stripe/payment-methods'
import { DEFAULT_STRIPE_API_BASE } from './stripe/tokenize'
import { validateOptions } from './validate'
import { WalletKeeper } from './wallet/keeper'
import type { JournalEntry } from './wallet/snapshot'
import { walletView, type WalletView } from './wallet/view'

/** Same signature and result as `fetch`, plus the wallet. */
export interface PayingFetch {
  (input: RequestInfo | URL, init?: RequestInit): Promise<Response>
  /** How much was spent, where, and what is left. */
  wallet(): Promise<WalletView>
  /** The spend journal, oldest first: every top-up and the latest paid calls. */
  journal(): Promise<JournalEntry[]>
}

/** A top-up normally ends in seconds; this covers a slow approve hook without letting a stuck one block the origin forever. */
const DEFAULT_TOP_UP_WAIT_MS = 60_000

export function createPayingFetch(options: PayingFetchOptions = {}): PayingFetch {
  validateOptions(options)
  const fetchImpl =
    options.fetch ??
    ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init))
  const now = options.now ?? Date.now
  const wallet = new WalletKeeper(options.store ?? createMemoryStore(), now)
  const engine = {
    fetch: fetchImpl,
    policy: options.policy ?? {},
    originAllowed: originMatcher(options.policy?.allowOrigins),
    transportAllowed: options.allowInsecureHttp === true ? () => true : mayCarryPayment,
    wallet,
    methods: new PaymentMethods({
      fetch: fetchImpl,
      apiBase: options.stripeApiBase ?? DEFAULT_STRIPE_API_BASE,
      ...(options.card ? { card: options.card } : {}),
      ...(options.paymentMethod ? { callback: options.paymentMethod } : {}),
    }),
    flights: new Flights(),
    emit: emitter(options.onEvent),
    now,
    topUpWaitMs: options.topUpWaitMs ?? DEFAULT_TOP_UP_WAIT_MS,
  }

  const pay = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = await prepareRequest(input, init)
    // A URL without an origin (data:, blob:) is passed straight through; so is a caller's own
    // `payment` header, except that its redirects are followed by hand to keep it on its origin.
    if (request.callerPayment !== undefined || request.origin === 'null') {
      let response: Response
      if (request.callerPayment === undefined) {
        response = await fetchImpl(request.url, request.init())
      } else {
        const sent = await sendWithPayment(fetchImpl, request, request.callerPayment)
        response = sent.follow ? await sent.follow() : sent.answer
      }
      return attachPaymentInfo(response, {
        outcome: 'none',
        origin: request.origin,
        route: request.route,
        requests: 1,
      })
    }
    return runCall(engine, request)
  }
  return Object.assign(pay, {
    wallet: async () => walletView(await wallet.load(), now()),
    journal: async () => structuredClone((await wallet.load()).journal),
  })
}
