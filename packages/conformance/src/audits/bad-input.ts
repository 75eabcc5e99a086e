/** Bad-input audits: malformed payment headers get a 4xx with an error code, never a 5xx and never a charge. */
import { base64EncodeUtf8, encodeHeader, MAX_UNITS } from '@stripe402/protocol'
import { type Exchange, isServed } from '../session/http'
import type { Session } from '../session/session'
import { errorCodesOf } from '../session/wire'
import { defineAudit } from './define'
import { fail } from './failure'
import type { Audit, AuditName, Requirement } from './types'

/** Above the 8 KiB the spec lets servers cap at, below Node's 16 KiB limit on all headers together. */
const OVERSIZED_BYTES = 14 * 1024

type Build = (paymentMethodId: string, offer: { minTopUp: number }) => string[] | string

/**
 * Where a lenient server could charge, the header carries a real PaymentMethod of the primary card,
 * whose account PAY-07 has spent down; a spend with its credential afterwards must still be refused,
 * or the malformed request bought a top-up.
 */
export function badInputAudits(session: Session): Audit[] {
  /** Sends each header; each must be refused with a 4xx and a code, and the probe account must stay empty. */
  const refused = (
    id: string,
    name: AuditName,
    requirement: Requirement,
    build: Build,
    options: { code?: string; transportMayRefuse?: boolean } = {},
  ) =>
    defineAudit(id, name, requirement, async () => {
      const probe = await session.drained()
      const offer = await session.offer()
      const headers = [build(await session.paymentMethod('primary'), offer)].flat()
      const view = await session.stripeView()
      const fingerprint = view && (await session.primaryFingerprint(view))
      for (const header of headers) {
        const before = view && fingerprint ? await view.charges(fingerprint) : []
        const ex = await session.withPayment(header)
        // From Stripe's side: a charge the server did not credit leaves the probe empty, yet the card paid.
        if (view && fingerprint) {
          const known = new Set(before.map((c) => c.id))
          const charged = (await view.charges(fingerprint)).filter((c) => !known.has(c.id))
          if (charged.length > 0 && !isServed(await session.spend(probe.clientId)))
            fail(
              `The emulator charged card ${session.card('primary').number.slice(-4)} ${charged.map((c) => `${c.amount} ${c.currency} (${c.id})`).join(', ')} for this request, and the server credited nothing.`,
              ex,
            )
        }
        // Probe (and empty) the account before judging the answer, so that no verdict leaves credits behind.
        const charged = isServed(await session.spend(probe.clientId))
        // Spend the top-up away again, so that the audits after this one start from an empty account.
        if (charged) await session.drainAgain()
        if (charged && !isServed(ex))
          fail(
            'The spent-down account could pay again after this request: the malformed payment charged a top-up.',
            ex,
          )
        expectRefusal(ex, options, charged)
      }
    })

  const json = (text: string) => base64EncodeUtf8(text)
  const payload = (pm: string, extra: Record<string, unknown>) =>
    encodeHeader({ stripe402Version: 1, paymentMethodId: pm, ...extra })

  return [
    refused(
      'S402-BAD-01',
      'MUST answer a payment header that is not base64 with 4xx and an error code, charging nothing',
      { requiredAt: 'v1', section: '§3.8' },
      () => ['%%% not base64 %%%', '{"stripe402Version":1}'],
    ),
    refused(
      'S402-BAD-02',
      'MUST answer base64 of something other than JSON with 4xx and an error code, charging nothing',
      { requiredAt: 'v1', section: '§3.8' },
      (pm) => json(`{"stripe402Version":1,"paymentMethodId":"${pm}"`),
    ),
    refused(
      'S402-BAD-03',
      'MUST answer JSON that is not an object with 4xx and an error code, charging nothing',
      { requiredAt: 'v1', section: '§3.4' },
      (pm) => [json('null'), json(`["${pm}"]`), json(`"${pm}"`), json('42')],
    ),
    refused(
      'S402-BAD-04',
      'MUST answer fields of the wrong type with 4xx and an error code, charging nothing',
      { requiredAt: 'stripe402', section: '§3.5' },
      (pm) => [
        encodeHeader({ stripe402Version: '1', paymentMethodId: pm }),
        encodeHeader({ stripe402Version: 1, paymentMethodId: 42 }),
        encodeHeader({ stripe402Version: 1, paymentMethodId: [pm] }),
        encodeHeader({ stripe402Version: 1, clientId: { $ne: null } }),
        payload(pm, { topUpAmount: '100000' }),
      ],
    ),
    refused(
      'S402-BAD-05',
      'MUST answer a negative topUpAmount with 4xx and an error code, charging nothing',
      { requiredAt: 'v1', section: '§3.5' },
      (pm, { minTopUp }) => payload(pm, { topUpAmount: -minTopUp }),
    ),
    refused(
      'S402-BAD-06',
      'MUST answer a fractional topUpAmount with 4xx and an error code, charging nothing',
      { requiredAt: 'v1', section: '§3.5' },
      (pm, { minTopUp }) => payload(pm, { topUpAmount: minTopUp + 0.5 }),
    ),
    refused(
      'S402-BAD-07',
      'MUST answer a huge topUpAmount with 4xx and an error code, charging nothing',
      { requiredAt: 'v1', section: '§3.5' },
      (pm) => [
        payload(pm, { topUpAmount: MAX_UNITS * 1000 }),
        payload(pm, { topUpAmount: Number.MAX_SAFE_INTEGER + 2 }),
        json(`{"stripe402Version":1,"paymentMethodId":"${pm}","topUpAmount":1e400}`),
      ],
    ),
    refused(
      'S402-BAD-08',
      'MUST answer a topUpAmount below minTopUp with 402 top_up_below_minimum, charging nothing',
      { requiredAt: 'v1', section: '§2.4' },
      (pm, { minTopUp }) => payload(pm, { topUpAmount: Math.max(0, minTopUp - 1) }),
      { code: 'top_up_below_minimum' },
    ),
    refused(
      'S402-BAD-09',
      'MUST answer an oversized payment header with 4xx, charging nothing',
      { requiredAt: 'stripe402', section: '§3.3' },
      (pm) => {
        const base = { stripe402Version: 1, paymentMethodId: pm, padding: '' }
        return encodeHeader({
          ...base,
          padding: 'x'.repeat(Math.floor((OVERSIZED_BYTES * 3) / 4) - JSON.stringify(base).length),
        })
      },
      { transportMayRefuse: true },
    ),
    refused(
      'S402-BAD-10',
      'MUST answer a payment header with a __proto__ key with 4xx and an error code, charging nothing',
      { requiredAt: 'stripe402', section: '§3.4' },
      (pm) =>
        json(
          `{"stripe402Version":1,"paymentMethodId":"${pm}","__proto__":{"topUpAmount":1,"clientId":"x"}}`,
        ),
    ),
    refused(
      'S402-BAD-11',
      'MUST answer an unsupported stripe402Version with 4xx and an error code, charging nothing',
      { requiredAt: 'stripe402', section: '§5' },
      (pm) => encodeHeader({ stripe402Version: 2, paymentMethodId: pm }),
    ),
    refused(
      'S402-BAD-12',
      'MUST answer a payment header with neither paymentMethodId nor clientId with 4xx and an error code',
      { requiredAt: 'stripe402', section: '§5' },
      () => encodeHeader({ stripe402Version: 1 }),
    ),
    refused(
      'S402-BAD-13',
      'MUST answer an unknown PaymentMethod with 4xx and an error code, not 5xx',
      { requiredAt: 'v1', section: '§3.8' },
      () => encodeHeader({ stripe402Version: 1, paymentMethodId: 'pm_conformance0does0not0exist' }),
    ),
  ]
}

/** A refusal: 4xx, with an error code (a transport-level 413/431 may have none), and the expected code when one is named. */
function expectRefusal(
  ex: Exchange,
  options: { code?: string; transportMayRefuse?: boolean },
  charged = false,
): void {
  if (ex.status < 400 || ex.status > 499)
    fail(
      `Expected a 4xx refusal, got ${ex.status}${charged ? ', and the payment charged a top-up' : ''}.`,
      ex,
    )
  if (options.transportMayRefuse && (ex.status === 413 || ex.status === 431)) return
  const codes = errorCodesOf(ex)
  if (codes.length === 0)
    fail(
      `The ${ex.status} carries no error code (in the challenge's error, the payment-response's errorCode or the JSON body).`,
      ex,
    )
  if (options.code && !codes.includes(options.code))
    fail(`Expected error code ${options.code}, got ${codes.join(', ')}.`, ex)
  if (options.code && ex.status !== 402)
    fail(`Expected 402 with ${options.code}, got ${ex.status}.`, ex)
}
