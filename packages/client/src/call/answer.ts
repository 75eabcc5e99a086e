/** Answers a 402 challenge: policy first, then credits already held, else one top-up under the origin's single flight. */
import {
  type PaymentRequired,
  type PaymentRequirements,
  STRIPE402_VERSION,
} from '@stripe402/protocol'
import { settledWithin } from '../abort'
import type { RefusalReason } from '../events'
import { selectRequirements } from '../policy/select'
import { dropCredential, originRecord, rememberExtensions, rememberPrice } from '../wallet/journal'
import type { Credential } from '../wallet/snapshot'
import { approve } from './approve'
import type { CallState } from './engine'
import { readReceipt } from './settle'
import { refuse, type Step } from './step'
import { leadTopUp } from './top-up'

/** Server codes meaning the credential we sent is gone for good. */
const DEAD_CREDENTIAL = new Set(['credential_revoked'])

export async function answerChallenge(
  call: CallState,
  challenge: PaymentRequired,
  response: Response,
): Promise<Step> {
  const { engine, request } = call
  const { origin, route } = request
  const state = engine.wallet.current
  noteVanishedCredits(call, challenge, response)
  noteFailureReceipt(call, response)

  if (!engine.originAllowed(origin)) {
    return refuse(
      call,
      'origin_not_allowed',
      `${origin} is not in allowOrigins.`,
      challenge.accepts[0],
    )
  }
  if (!engine.transportAllowed(origin)) {
    const message = `${origin} is plain HTTP: payment headers go only over HTTPS or to loopback hosts (set allowInsecureHttp for development).`
    return refuse(call, 'insecure_transport', message, challenge.accepts[0])
  }
  rememberExtensions(state, origin, challenge.extensions)
  if (
    call.sent?.clientId !== undefined &&
    challenge.error !== undefined &&
    DEAD_CREDENTIAL.has(challenge.error)
  ) {
    dropCredential(state, origin)
    engine.emit({ type: 'credential_dropped', origin, route, reason: challenge.error })
  }
  const picked = selectRequirements(
    challenge.accepts,
    engine.policy,
    state.origins[origin]?.credential?.currency,
  )
  if ('refusal' in picked)
    return refuse(call, picked.refusal.reason, picked.refusal.message, picked.requirements)
  const requirements = picked.requirements
  call.requirements = requirements
  engine.emit({
    type: 'challenge',
    origin,
    route,
    requirements,
    ...(challenge.error ? { error: challenge.error } : {}),
  })
  const keyRefused = checkPublishableKey(call, requirements)
  if (keyRefused) return keyRefused
  // Seen within policy: from now on this route may carry the credential up front.
  rememberPrice(state, origin, route, {
    amount: requirements.amount,
    currency: requirements.currency,
    at: engine.now(),
  })

  // Each pass either returns or waits for another call's top-up flight to end; once it
  // has, the credential it bought is spent, or its shared failure is reported.
  for (;;) {
    const credential = engine.wallet.current.origins[origin]?.credential
    if (credential && canOfferCredits(call, credential, requirements)) {
      const declined = await approve(call, requirements, 0, challenge.error)
      if (declined) return declined
      call.creditsRetried = true
      call.creditsOffered = { upTo: requirements.amount, credential }
      return {
        kind: 'send',
        payload: {
          stripe402Version: STRIPE402_VERSION,
          clientId: credential.clientId,
          maxAmount: requirements.amount,
        },
      }
    }
    // A card failure that happened while this call was under way is this call's answer too.
    const failed = engine.flights.failureSince(origin, call.ticket)
    if (failed) {
      if (failed.outcome === 'refused')
        return refuse(call, failed.reason as RefusalReason, failed.message ?? '', requirements)
      const code = failed.reason ?? 'payment_failed'
      engine.emit({
        type: 'payment_failed',
        origin,
        route,
        code,
        message: failed.message ?? '',
        ...(failed.declineCode ? { declineCode: failed.declineCode } : {}),
      })
      return { kind: 'stop', info: { ...failed, outcome: 'failed', requirements } }
    }
    const finish = engine.flights.begin(origin)
    if (finish) return leadTopUp(call, requirements, challenge, finish)
    const flight = engine.flights.current(origin)
    if (flight && !(await settledWithin(flight, engine.topUpWaitMs, request.signal))) {
      // Taking the flight over could charge the card twice: this call gives up instead.
      const message = `Another call's top-up at ${origin} did not finish within ${engine.topUpWaitMs} ms; nothing was paid for this call.`
      engine.emit({ type: 'payment_failed', origin, route, code: 'top_up_timeout', message })
      return {
        kind: 'stop',
        info: { outcome: 'failed', reason: 'top_up_timeout', message, requirements },
      }
    }
  }
}

/**
 * The publishable key binds card charges to the origin's Stripe account (spec 14.7): a new one is
 * reported, then remembered (`warn`) or refused until the operator accepts it (`refuse`).
 */
function checkPublishableKey(call: CallState, requirements: PaymentRequirements): Step | undefined {
  const { engine, request } = call
  const record = originRecord(engine.wallet.current, request.origin)
  const previous = record.publishableKey
  const current = requirements.publishableKey
  if (previous !== undefined && previous !== current) {
    const action = engine.policy.onPublishableKeyChange ?? 'warn'
    engine.emit({
      type: 'publishable_key_changed',
      origin: request.origin,
      route: request.route,
      previous,
      current,
      action,
    })
    if (action === 'refuse') {
      const message = `${request.origin} now names Stripe publishable key ${current} instead of ${previous}: its charges would go to another Stripe account.`
      return refuse(call, 'publishable_key_changed', message, requirements)
    }
  }
  record.publishableKey = current
  return undefined
}

/**
 * The credential the call sent holds credits in the wallet, and the server answers
 * `insufficient_credits` with a receipt for no credential at all: it no longer knows it (its
 * ledger was wiped or lost). Those credits are gone; the call says so, and the wallet stops
 * counting them.
 */
function noteVanishedCredits(
  call: CallState,
  challenge: PaymentRequired,
  response: Response,
): void {
  const sentId = call.sent?.clientId
  const credential = call.engine.wallet.current.origins[call.request.origin]?.credential
  if (sentId === undefined || credential?.clientId !== sentId) return
  if (credential.creditsRemaining === 0 || challenge.error !== 'insufficient_credits') return
  if (readReceipt(response)?.clientId !== '') return
  call.creditsVanished = credential.creditsRemaining
  credential.creditsRemaining = 0
}

/** A 402 may carry a `payment-response` with the real balance behind our credential: believe it over the wallet. */
function noteFailureReceipt(call: CallState, response: Response): void {
  const receipt = readReceipt(response)
  const credential = call.engine.wallet.current.origins[call.request.origin]?.credential
  if (
    receipt &&
    credential &&
    receipt.clientId === credential.clientId &&
    receipt.creditsRemaining !== credential.creditsRemaining
  ) {
    // Mutated in place: the credential is the same, only its balance was stale.
    credential.creditsRemaining = receipt.creditsRemaining
  }
}

/**
 * Credits are offered once per call, when the wallet says they cover the price and no
 * earlier offer from this same credential already covered it (the server said no to that).
 */
function canOfferCredits(
  call: CallState,
  credential: Credential,
  requirements: PaymentRequirements,
): boolean {
  if (call.creditsRetried) return false
  if (
    credential.currency !== requirements.currency ||
    credential.creditsRemaining < requirements.amount
  )
    return false
  const offered = call.creditsOffered
  return !offered || offered.credential !== credential || offered.upTo < requirements.amount
}
