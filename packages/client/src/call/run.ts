/** One paying call from start to end: up front when possible, at most one answer to a 402 of each kind, never a loop. */
import { settledWithin } from '../abort'
import { type Read402, read402 } from '../challenge/read'
import { discard } from '../request/redirects'
import type { ReplayableRequest } from '../request/replayable'
import { upFrontPayload } from './up-front'
import { answerChallenge } from './answer'
import { type CallInfo, type CallState, type Engine, finishWith, MAX_SENDS, send } from './engine'
import { settleAnswer } from './settle'
import { paymentRefused, topUpLost, topUpRefused } from './top-up'

export async function runCall(engine: Engine, request: ReplayableRequest): Promise<Response> {
  await engine.wallet.load()
  const call: CallState = {
    engine,
    request,
    ticket: engine.flights.ticket(),
    requests: 0,
    sent: undefined,
    upFront: false,
    requirements: undefined,
    creditsRetried: false,
    creditsOffered: undefined,
    topUp: undefined,
  }
  // A top-up for this origin is on its way: wait for it, so this call goes up front with what it buys.
  // Past topUpWaitMs the call goes ahead without it (a 402 then meets the same wait, and gives up).
  const flight = engine.flights.current(request.origin)
  if (flight) await settledWithin(flight, engine.topUpWaitMs, request.signal)

  const payload = upFrontPayload(engine, request)
  const credential = engine.wallet.current.origins[request.origin]?.credential
  if (payload?.maxAmount !== undefined && credential) {
    call.upFront = true
    call.creditsOffered = { upTo: payload.maxAmount, credential }
  }
  try {
    let sent = await send(call, payload)
    // Sent without payment, the request may have been redirected to another origin: its 402 is not this origin's to pay.
    if (
      payload === undefined &&
      sent.answer.status === 402 &&
      leftOrigin(sent.answer, request.origin)
    )
      return finishWith(call, sent.answer, { outcome: 'none' })
    for (;;) {
      const response = sent.answer
      if (response.status !== 402) return await settleAnswer(call, response, sent.follow)
      const read = await read402(response)
      if (call.topUp) return await topUpRefused(call, response, read)
      if (read.kind === 'refusal' && call.sent !== undefined)
        return paymentRefused(call, response, read.code, read.message)
      if (read.kind !== 'challenge') return finishWith(call, response, notStripe402(read))
      if (call.requests >= MAX_SENDS) {
        // Unreachable by construction (each kind of retry happens once); kept so a bug cannot become a loop.
        return finishWith(call, response, {
          outcome: 'failed',
          reason: 'payment_failed',
          message: 'Gave up after the maximum number of attempts.',
        })
      }
      call.upFront = false
      const step = await answerChallenge(call, read.challenge, response)
      if (step.kind === 'stop') return finishWith(call, response, step.info)
      discard(response)
      sent = await send(call, step.payload)
    }
  } catch (error) {
    // Whatever threw (the send, or reading the answer to a top-up), a top-up this call still holds
    // may have been charged: its line and key stay, and the origin's flight is let go, or every
    // later call to the origin would wait on it.
    await topUpLost(call)
    throw error
  }
}

/** A 402 this client cannot pay: `outcome: 'none'`, with what was found instead. */
function notStripe402(read: Exclude<Read402, { kind: 'challenge' }>): CallInfo {
  const message =
    read.kind === 'other'
      ? `A 402 that is not a stripe402 challenge: ${read.why}.`
      : `A 402 refusing a payment this call did not send (${read.code}).`
  return { outcome: 'none', reason: 'not_stripe402', message }
}

/** The response came, through redirects fetch followed, from another origin than the one asked. */
function leftOrigin(response: Response, origin: string): boolean {
  if (!response.redirected || response.url === '') return false
  try {
    return new URL(response.url).origin !== origin
  } catch {
    return true
  }
}
