/** reconcile(): repairs a crash between charge and credit, exactly once. */
import { describe, expect, it } from 'vitest'
import { MemoryLedger } from './ledger/memory'
import { LedgerUnavailableError } from './ledger/types'
import {
  expectDeny,
  expectPaid,
  pay,
  payWithNewCard,
  paymentResponse,
  req,
  useEmulator,
} from '../test/support/harness'

const h = useEmulator()

describe('reconcile', () => {
  it('credits a top-up lost between charge and credit, with the exact balance, once', async () => {
    const memory = new MemoryLedger()
    let crash = false
    const ledger = Object.assign(Object.create(memory) as MemoryLedger, {
      credit: async (input: Parameters<MemoryLedger['credit']>[0]) => {
        if (input.kind === 'top_up' && crash) {
          crash = false
          throw new LedgerUnavailableError('process killed')
        }
        return memory.credit(input)
      },
      creditAndSpend: async (input: Parameters<MemoryLedger['creditAndSpend']>[0]) => {
        if (input.credit.kind === 'top_up' && crash) {
          crash = false
          throw new LedgerUnavailableError('process killed')
        }
        return memory.creditAndSpend(input)
      },
    })
    const { paywall } = h.paywall({ ledger })
    // One normal customer, one whose credit is lost.
    const { clientId: other } = await payWithNewCard(h, paywall, '/api/joke', '5555555555554444')
    crash = true
    const lost = expectDeny(
      await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId: await h.card() }) })),
    )
    expect(lost.status).toBe(503)
    expect(h.emu.charges()).toHaveLength(2)

    expect(await paywall.reconcile()).toEqual({ checked: 2, credited: 1, alreadyCredited: 1 })
    expect(await paywall.reconcile({ since: new Date(Date.now() - 60_000) })).toEqual({
      checked: 2,
      credited: 0,
      alreadyCredited: 2,
    })
    expect(await paywall.balance(other)).toBe(4_500)

    const served = expectPaid(
      await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId: await h.card() }) })),
    )
    expect(paymentResponse(served).creditsRemaining).toBe(4_500)
    expect(h.emu.charges()).toHaveLength(2)
  })

  it('repairs a charge whose response Stripe lost (no credit on the request path)', async () => {
    const { paywall } = h.paywall()
    h.emu.inject({ path: '/v1/payment_intents', afterResponse: true, status: 500 })
    expect(
      expectDeny(
        await paywall.begin(
          req('/api/joke', { payment: pay({ paymentMethodId: await h.card() }) }),
        ),
      ).status,
    ).toBe(503)
    expect(h.emu.charges({ status: 'succeeded' })).toHaveLength(1)
    expect(await paywall.reconcile({ since: Date.now() - 60_000 })).toMatchObject({ credited: 1 })
    const served = expectPaid(
      await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId: await h.card() }) })),
    )
    expect(paymentResponse(served).creditsRemaining).toBe(4_500)
  })

  it('ignores PaymentIntents that are not stripe402 top-ups, and honours limit', async () => {
    const { paywall } = h.paywall()
    await payWithNewCard(h, paywall)
    await payWithNewCard(h, paywall, '/api/joke', '5555555555554444')
    expect(await paywall.reconcile({ limit: 1 })).toEqual({
      checked: 1,
      credited: 0,
      alreadyCredited: 1,
    })
    expect(await paywall.reconcile({ since: Date.now() + 3_600_000 })).toEqual({
      checked: 0,
      credited: 0,
      alreadyCredited: 0,
    })
  })
})
