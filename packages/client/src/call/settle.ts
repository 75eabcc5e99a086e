/** Records an answered call: the credential and credits from `payment-response`, the top-up it paid for, the journal line. */
import { decodePaymentResponse, HEADERS, type PaymentResponse } from '@stripe402/protocol'
import { messageOf } from '../errors'
import { recordCall, releaseOnServersWord, setCredential, settleTopUp } from '../wallet/journal'
import { forgetPendingTopUp } from '../wallet/pending'
import { readPriceList, rememberPriceList } from '../wallet/price-list'
import { type CallInfo, type CallState, finishWith, type TopUpInFlight } from './engine'

/** `follow`, when set, fetches what the caller gets instead of `response` (a redirect the payment header stayed behind on). */
export async function settleAnswer(
  call: CallState,
  response: Response,
  follow?: () => Promise<Response>,
): Promise<Response> {
  const { engine, request } = call
  const { origin, route } = request
  const state = engine.wallet.current
  const receipt = readReceipt(response)
  const topUp = call.topUp
  call.topUp = undefined
  const record = state.origins[origin]
  const currency =
    receipt?.currency ??
    call.requirements?.currency ??
    record?.credential?.currency ??
    record?.prices[route]?.currency
  let info: CallInfo = { outcome: 'none' }

  if (topUp) info = closeTopUp(call, topUp, receipt, response)

  if (receipt?.success && currency !== undefined && call.sent !== undefined) {
    const units =
      receipt.amountCharged ?? call.requirements?.amount ?? record?.prices[route]?.amount ?? 0
    // The server debited this call, whatever its status. On a 5xx it gives the debit back after
    // writing the receipt (stripe402's default), so the receipt's balance is short by the price.
    const reversed = response.status >= 500
    const creditsRemaining = reversed ? receipt.creditsRemaining + units : receipt.creditsRemaining
    setCredential(state, origin, {
      clientId: receipt.clientId,
      currency,
      creditsRemaining,
      updatedAt: engine.now(),
    })
    if (!reversed) {
      recordCall(state, { origin, route, currency, units, creditsRemaining, at: engine.now() })
      engine.emit({
        type: 'paid',
        origin,
        route,
        currency,
        units,
        creditsRemaining,
        upFront: call.upFront,
      })
      info = { ...info, outcome: 'paid', currency, amount: units, creditsRemaining }
    } else {
      info = { ...info, currency, creditsRemaining }
    }
  }
  if (call.requirements) info.requirements = call.requirements
  // A price list fetched through the paying fetch tells which routes may carry the credential.
  const list = follow ? undefined : await readPriceList(request.method, request.url, response)
  if (list) rememberPriceList(state, origin, list, engine.now())
  // Waiters read the credential from memory, so they may go before the save lands.
  topUp?.finish({ ok: response.ok })
  try {
    await engine.wallet.commit()
  } catch (error) {
    engine.emit({
      type: 'store_error',
      origin,
      route,
      message: `Could not save the wallet: ${messageOf(error)}`,
    })
  }
  return finishWith(call, follow ? await follow() : response, info)
}

/** Settles or releases the journal line of the top-up this answer concludes. */
function closeTopUp(
  call: CallState,
  topUp: TopUpInFlight,
  receipt: PaymentResponse | undefined,
  response: Response,
): CallInfo {
  const { engine, request } = call
  const state = engine.wallet.current
  const charged = receipt?.chargeId
  // A receipt answers for the charge; a 5xx without one (`payment_unavailable`: Stripe may
  // have charged) does not, so the top-up's key stays for the next top-up to replay.
  if (receipt) forgetPendingTopUp(state, request.origin, topUp.entry.currency)
  const rateLimited = !receipt && response.status === 429
  const notCharged = (receipt?.success === true && charged === undefined) || rateLimited
  // The cached PaymentMethod stays: stripe402 servers attach it to a Customer when they charge
  // it, so it pays the next top-up too (spec: servers SHOULD). A server that does not is caught
  // by the failure path, which evicts the cache so the following top-up tokenizes afresh.
  if (notCharged && !topUp.replay) {
    forgetPendingTopUp(state, request.origin, topUp.entry.currency)
    // Credits already on the card's account paid for the call, or a rate limit (checked before any
    // charge) stopped it: the server's word, which an origin that charged could say as well.
    const released = releaseOnServersWord(
      state,
      topUp.entry,
      engine.now(),
      receipt ? { creditsRemaining: receipt.creditsRemaining } : {},
    )
    return released
      ? { outcome: 'none' }
      : { outcome: 'none', topUp: { units: topUp.units, unconfirmed: true } }
  }
  // A replay turned away by a rate limit learnt nothing about the first attempt: line and key stay.
  if (rateLimited) return { outcome: 'none' }
  // Charged, or maybe charged (no receipt, e.g. a 503 while Stripe was still processing): it stays counted.
  settleTopUp(state, topUp.entry, {
    ...(charged ? { chargeId: charged } : {}),
    ...(receipt ? { creditsRemaining: receipt.creditsRemaining } : {}),
  })
  engine.emit({
    type: 'top_up',
    origin: request.origin,
    route: request.route,
    currency: topUp.entry.currency,
    units: topUp.units,
    ...(charged ? { chargeId: charged } : {}),
    creditsRemaining: receipt?.creditsRemaining ?? 0,
  })
  return {
    outcome: 'none',
    // No charge id: the server never said whether the card was charged (a 503, a lost answer).
    topUp: { units: topUp.units, ...(charged ? { chargeId: charged } : { unconfirmed: true }) },
  }
}

/** The `payment-response` header, or `undefined` when absent or malformed (a broken receipt is not a reason to fail the call). */
export function readReceipt(response: Response): PaymentResponse | undefined {
  const header = response.headers.get(HEADERS.PAYMENT_RESPONSE)
  if (header === null) return undefined
  try {
    return decodePaymentResponse(header)
  } catch {
    return undefined
  }
}
