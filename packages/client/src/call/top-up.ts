/** One top-up, led by one call per origin: size it, approve it, reserve it in the journal, tokenize, and settle or release it. */
import {
  EXTENSIONS,
  type PaymentPayload,
  type PaymentRequired,
  type PaymentRequirements,
  STRIPE402_VERSION,
} from '@stripe402/protocol'
import { throwIfAborted } from '../abort'
import type { Read402 } from '../challenge/read'
import { messageOf, Stripe402ClientError } from '../errors'
import { newIdempotencyKey } from '../id'
import type { Refusal } from '../policy/refusal'
import { chooseTopUp } from '../policy/top-up'
import { spentTotals } from '../wallet/budget'
import { releaseOnServersWord, releaseTopUp, reserveTopUp } from '../wallet/journal'
import {
  abandonPendingTopUp,
  forgetPendingTopUp,
  pendingTopUp,
  rememberPendingTopUp,
} from '../wallet/pending'
import type { JournalEntry, PendingTopUp, WalletSnapshot } from '../wallet/snapshot'
import { approve } from './approve'
import { refuse, type Step } from './step'
import { type CallState, finishWith, type TopUpInFlight } from './engine'
import type { FlightOutcome } from './flights'

/** Failures that belong to the card or the payment method, not to one call: waiters report them too. */
const CARD_FAILURES = new Set(['card_declined', 'authentication_required', 'payment_failed'])

/**
 * 402 codes that mean the card was not charged. Any other answer to a top-up (such as
 * `insufficient_credits`: charged, then drained by concurrent requests) keeps the journal
 * line, so budgets never under-count.
 */
const NOT_CHARGED = new Set([
  'card_declined',
  'authentication_required',
  'payment_failed',
  'invalid_payment',
  'top_up_below_minimum',
  'top_up_above_maximum',
  'price_above_max_amount',
  'currency_mismatch',
  'payment_required',
  'credential_revoked',
  'unsupported_version',
  'payment_method_origin_mismatch',
  'payment_method_unbound',
])

export async function leadTopUp(
  call: CallState,
  requirements: PaymentRequirements,
  challenge: PaymentRequired,
  finish: (outcome: FlightOutcome) => void,
): Promise<Step> {
  const { engine, request } = call
  const { origin, route, signal } = request
  const currency = requirements.currency
  const lost = pendingTopUp(engine.wallet.current, origin, currency, engine.now())
  if (lost) {
    // Only an origin that announces the extension (spec 8.3) answers a replay without a second charge.
    if (challenge.extensions?.includes(EXTENSIONS.IDEMPOTENCY_KEY) === true)
      return replayTopUp(call, requirements, challenge, finish, lost)
    // Elsewhere a replay is just another charge the budget would not count: a new top-up, sized
    // and checked with the old one still counted, is honest about both.
    abandonPendingTopUp(engine.wallet.current, origin, currency, lost.entry)
  }
  try {
    const size = (state: WalletSnapshot, policy = engine.policy) =>
      chooseTopUp({
        policy,
        requirements,
        origin,
        route,
        creditsRemaining: state.origins[origin]?.credential?.creditsRemaining,
        spent: spentTotals(state, currency, engine.now()),
      })
    const first = size(engine.wallet.current)
    if ('refusal' in first) {
      finish({ ok: false })
      return refuse(call, first.refusal.reason, first.refusal.message, requirements)
    }
    const declined = await approve(call, requirements, first.units, challenge.error)
    if (declined) {
      finish({ ok: false })
      return declined
    }
    // The hook took time, and other calls or processes may have spent meanwhile: check the
    // approved amount against budgets again, with every writer's reservations merged in, in one
    // step with the reservation under the store's lock, so two top-ups cannot both fit (and
    // `policy.topUp` is asked only once).
    let reserved: TopUpInFlight | { refusal: Refusal }
    try {
      reserved = await engine.wallet.transact((state) => {
        const again = size(state, { ...engine.policy, topUp: first.units })
        if ('refusal' in again) return again
        const units = Math.min(first.units, again.units)
        const topUp: TopUpInFlight = {
          entry: reserveTopUp(state, { origin, route, currency, units, at: engine.now() }),
          units,
          finish,
          replay: false,
        }
        call.topUp = topUp
        return topUp
      })
    } catch (cause) {
      throw new Stripe402ClientError(
        'store_unavailable',
        `Could not record the top-up before paying: ${messageOf(cause)}`,
        { cause },
      )
    }
    if ('refusal' in reserved) {
      finish({ ok: false })
      return refuse(call, reserved.refusal.reason, reserved.refusal.message, requirements)
    }
    const { entry, units } = reserved
    const method = await engine.methods.resolve(requirements, origin, signal)
    if (!method.ok) {
      await release(call)
      if (method.refused) {
        const step = refuse(call, 'no_payment_method', method.message, requirements)
        finish({
          ok: false,
          shared: { outcome: 'refused', reason: 'no_payment_method', message: method.message },
        })
        return step
      }
      const failure = {
        outcome: 'failed' as const,
        reason: method.code,
        message: method.message,
        ...(method.declineCode ? { declineCode: method.declineCode } : {}),
      }
      engine.emit({
        type: 'payment_failed',
        origin,
        route,
        code: method.code,
        message: method.message,
        ...(method.declineCode ? { declineCode: method.declineCode } : {}),
      })
      finish({ ok: false, shared: failure })
      return { kind: 'stop', info: { ...failure, requirements } }
    }
    engine.emit({ type: 'tokenized', origin, route, source: method.source, cached: method.cached })
    throwIfAborted(signal)
    // Saved before sending: if the answer is lost, even to a crash, the next top-up replays this one.
    const idempotencyKey = newIdempotencyKey()
    rememberPendingTopUp(engine.wallet.current, origin, currency, {
      idempotencyKey,
      units,
      paymentMethodId: method.id,
      entryId: entry.id,
      at: engine.now(),
    })
    try {
      await engine.wallet.commit()
    } catch (cause) {
      throw new Stripe402ClientError(
        'store_unavailable',
        `Could not record the top-up before paying: ${messageOf(cause)}`,
        { cause },
      )
    }
    return {
      kind: 'send',
      payload: topUpPayload(call, requirements, units, method.id, idempotencyKey),
    }
  } catch (error) {
    // Nothing was sent yet: the reservation goes, and the next caller may lead.
    await release(call)
    finish({ ok: false })
    throw error
  }
}

/**
 * The last top-up for this origin and currency got no answer about its charge: send it again,
 * same key, units and PaymentMethod, so a server that honours `idempotencyKey` (and Stripe behind
 * it) replays it rather than charging twice. Its journal line already counts it against budgets.
 */
async function replayTopUp(
  call: CallState,
  requirements: PaymentRequirements,
  challenge: PaymentRequired,
  finish: (outcome: FlightOutcome) => void,
  { pending: lost, entry }: { pending: PendingTopUp; entry: JournalEntry },
): Promise<Step> {
  try {
    const declined = await approve(call, requirements, lost.units, challenge.error)
    if (declined) {
      finish({ ok: false })
      return declined
    }
    call.topUp = { entry, units: lost.units, finish, replay: true }
    throwIfAborted(call.request.signal)
    return {
      kind: 'send',
      payload: topUpPayload(
        call,
        requirements,
        lost.units,
        lost.paymentMethodId,
        lost.idempotencyKey,
      ),
    }
  } catch (error) {
    // The line stays: it may stand for a real charge.
    call.topUp = undefined
    finish({ ok: false })
    throw error
  }
}

function topUpPayload(
  call: CallState,
  requirements: PaymentRequirements,
  units: number,
  paymentMethodId: string,
  idempotencyKey: string,
): PaymentPayload {
  const credential = call.engine.wallet.current.origins[call.request.origin]?.credential
  return {
    stripe402Version: STRIPE402_VERSION,
    paymentMethodId,
    topUpAmount: units,
    ...(credential && credential.currency === requirements.currency
      ? { clientId: credential.clientId }
      : {}),
    maxAmount: requirements.amount,
    idempotencyKey,
  }
}

/** The server answered the top-up with a 402 (a challenge, or a v1 server's refusal). Report it; never try again. */
export async function topUpRefused(
  call: CallState,
  response: Response,
  read: Read402,
): Promise<Response> {
  const { engine, request } = call
  const topUp = call.topUp
  const said =
    read.kind === 'challenge'
      ? { code: read.challenge.error, message: read.challenge.message }
      : read.kind === 'refusal'
        ? read
        : undefined
  const code = said?.code ?? 'payment_failed'
  // A 402 is the server's last word on this top-up: its key is not needed again. A replay's line
  // goes only on Stripe's own verdict (replayed for the same key): a refusal before Stripe was
  // asked says nothing about the first attempt.
  if (topUp) forgetPendingTopUp(engine.wallet.current, request.origin, topUp.entry.currency)
  const notCharged = topUp?.replay ? CARD_FAILURES.has(code) : NOT_CHARGED.has(code)
  // The server's word that nothing was charged: taken once a day per currency, else kept counted.
  const counted =
    topUp !== undefined &&
    notCharged &&
    !releaseOnServersWord(engine.wallet.current, topUp.entry, engine.now())
  call.topUp = undefined
  await engine.wallet.commit().catch(() => {})
  const message =
    (said?.message ?? `The server refused the top-up (${code}).`) +
    (counted
      ? ` This top-up stays counted against the budget as unconfirmed: a server's word that a top-up was not charged is taken once a day per currency (${topUp.entry.currency.toUpperCase()}), since the client cannot check it.`
      : '')
  if (call.requirements) engine.methods.evict(request.origin, call.requirements.publishableKey)
  const answer = paymentRefused(call, response, code, message)
  topUp?.finish(
    CARD_FAILURES.has(code)
      ? { ok: false, shared: { outcome: 'failed', reason: code, message } }
      : { ok: false },
  )
  return answer
}

/** The server refused a payment this call sent, with its code and message: reported, never retried. */
export function paymentRefused(
  call: CallState,
  response: Response,
  code: string,
  message: string | undefined,
): Response {
  const { engine, request } = call
  const said = message ?? `The server refused the payment (${code}).`
  engine.emit({
    type: 'payment_failed',
    origin: request.origin,
    route: request.route,
    code,
    message: said,
  })
  return finishWith(call, response, {
    outcome: 'failed',
    reason: code,
    message: said,
    ...(call.requirements ? { requirements: call.requirements } : {}),
  })
}

/** The top-up request itself threw (network, abort): it may have been charged, so the pending line and its key stay. */
export async function topUpLost(call: CallState): Promise<void> {
  const topUp = call.topUp
  if (!topUp) return
  call.topUp = undefined
  if (call.requirements)
    call.engine.methods.evict(call.request.origin, call.requirements.publishableKey)
  await call.engine.wallet.commit().catch(() => {})
  topUp.finish({ ok: false })
}

async function release(call: CallState): Promise<void> {
  const topUp = call.topUp
  if (!topUp) return
  call.topUp = undefined
  releaseTopUp(call.engine.wallet.current, topUp.entry)
  forgetPendingTopUp(call.engine.wallet.current, call.request.origin, topUp.entry.currency)
  await call.engine.wallet.commit().catch(() => {})
}
