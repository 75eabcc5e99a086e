/** Decides whether a call carries the credential up front, and with which ceiling (`maxAmount`). */
import { EXTENSIONS, type PaymentPayload, STRIPE402_VERSION } from '@stripe402/protocol'
import { limitFor } from '../policy/limits'
import { listedPrice } from '../wallet/price-list'
import type { Engine } from './engine'
import type { ReplayableRequest } from '../request/replayable'

/**
 * Up front means one round trip per paid call. It is never a blank check: `maxAmount` is the
 * policy's per-call ceiling (or, without one, the price last seen for the route). The
 * credential goes only to routes known to be priced (a 402 accepted within policy, or the
 * origin's price list if the client fetched it): a free route may log or forward headers, and a
 * server that does not say it honours `maxAmount` would debit whatever it now charges.
 */
export function upFrontPayload(
  engine: Engine,
  request: ReplayableRequest,
): PaymentPayload | undefined {
  const record = engine.wallet.current.origins[request.origin]
  const credential = record?.credential
  if (
    !credential ||
    !engine.originAllowed(request.origin) ||
    !engine.transportAllowed(request.origin)
  )
    return undefined
  const cap = limitFor(engine.policy.maxAmountPerRequest, credential.currency)
  const seen = record.prices[request.route] ?? listedPrice(record, request.route)
  if (!seen) return undefined
  const seenPrice =
    seen.amount !== 'dynamic' && seen.currency === credential.currency ? seen.amount : undefined
  const honoursMaxAmount = record.extensions?.includes(EXTENSIONS.MAX_AMOUNT) === true
  let maxAmount: number | undefined
  if (honoursMaxAmount) {
    maxAmount = cap ?? seenPrice
  } else if (seenPrice !== undefined && (cap === undefined || seenPrice <= cap)) {
    maxAmount = cap ?? seenPrice
  }
  if (maxAmount === undefined) return undefined
  return { stripe402Version: STRIPE402_VERSION, clientId: credential.clientId, maxAmount }
}
