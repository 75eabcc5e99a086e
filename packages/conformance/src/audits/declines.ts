/** Decline audits: a card Stripe refuses buys nothing, and says why in a code a client can branch on. */
import { decodeHeader, HEADERS } from '@stripe402/protocol'
import type { CardRole } from '../session/cards'
import { type Exchange, isServed } from '../session/http'
import type { Session } from '../session/session'
import { errorCodesOf, paymentResponseOf } from '../session/wire'
import { defineAudit } from './define'
import { fail } from './failure'
import type { Audit } from './types'

export function declineAudits(session: Session): Audit[] {
  const attempt = (role: CardRole) => session.once(`decline:${role}`, () => session.pay(role))
  const describe = (role: CardRole) => `card ${session.card(role).number}`

  /** A 402 carrying `code`. */
  const expect402 = (ex: Exchange, what: string, code?: string) => {
    if (ex.status !== 402) fail(`${what} was answered ${ex.status}, not 402.`, ex)
    const codes = errorCodesOf(ex)
    if (code && !codes.includes(code))
      fail(`${what} carries ${codes.length ? codes.join(', ') : 'no error code'}, not ${code}.`, ex)
  }

  return [
    defineAudit(
      'S402-DEC-01',
      'MUST answer a declined card with 402 card_declined',
      { requiredAt: 'v1', section: '§2.4' },
      async () => {
        expect402(
          await attempt('declined'),
          `The declined ${describe('declined')}`,
          'card_declined',
        )
      },
    ),
    defineAudit(
      'S402-DEC-02',
      'MUST NOT credit or serve anything after a decline',
      { requiredAt: 'v1', section: '§2.4' },
      async () => {
        const { amount } = await session.offer()
        const ex = await attempt('declined')
        if (isServed(ex)) fail('The declined card was served.', ex)
        const response = paymentResponseOf(ex)
        if (response.ok) {
          if (response.value.creditsRemaining >= amount)
            fail(`The decline reported ${response.value.creditsRemaining} credits.`, ex)
          if (response.value.clientId) {
            const spend = await session.spend(response.value.clientId)
            if (isServed(spend))
              fail('The clientId returned with the decline could spend credits.', spend)
          }
        }
        const again = await session.pay('declined')
        if (isServed(again)) fail('Paying again with the declined card was served.', again)
      },
    ),
    defineAudit(
      'S402-DEC-03',
      'MUST answer an insufficient-funds decline with 402 card_declined',
      { requiredAt: 'v1', section: '§2.4' },
      async () => {
        expect402(
          await attempt('insufficientFunds'),
          `The insufficient-funds ${describe('insufficientFunds')}`,
          'card_declined',
        )
      },
    ),
    defineAudit(
      'S402-DEC-04',
      'MUST answer a card that requires 3-D Secure with 402',
      { requiredAt: 'v1', section: '§2.4' },
      async () => {
        expect402(await attempt('threeDSecure'), `The 3-D Secure ${describe('threeDSecure')}`)
      },
    ),
    defineAudit(
      'S402-DEC-05',
      'SHOULD say authentication_required for a card that requires 3-D Secure',
      { requiredAt: 'stripe402', section: '§5' },
      async () => {
        expect402(
          await attempt('threeDSecure'),
          `The 3-D Secure ${describe('threeDSecure')}`,
          'authentication_required',
        )
      },
    ),
    defineAudit(
      'S402-DEC-06',
      "SHOULD NOT pass Stripe's decline reason to the client",
      { requiredAt: 'v1', section: '§14.4' },
      async () => {
        const ex = await attempt('insufficientFunds')
        const texts = [ex.text, ...Object.values(decodedHeaders(ex))]
        const leaked = texts.map((t) => DECLINE_REASON.exec(t)?.[0]).find(Boolean)
        if (leaked)
          fail(
            `The decline of the insufficient-funds ${describe('insufficientFunds')} tells the client why ("${leaked}"): answer card_declined with a generic message.`,
            ex,
          )
      },
    ),
  ]
}

/** Decline reasons (Stripe's decline_code, or its text) that say what the issuer knows about the card. */
const DECLINE_REASON =
  /insufficient[ _]funds|lost[ _]card|stolen[ _]card|fraudulent|pickup[ _]card|restricted[ _]card|merchant[ _]blacklist|decline_code/i

/** The payment headers of an answer, decoded to text where they decode. */
function decodedHeaders(ex: Exchange): Record<string, string> {
  const out: Record<string, string> = {}
  for (const name of [HEADERS.PAYMENT_REQUIRED, HEADERS.PAYMENT_RESPONSE]) {
    const value = ex.headers[name]
    if (value === undefined) continue
    try {
      out[name] = JSON.stringify(decodeHeader(value))
    } catch {
      out[name] = value
    }
  }
  return out
}
