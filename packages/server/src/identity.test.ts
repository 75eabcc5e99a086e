/** Account identity and secret rotation. */
import { describe, expect, it } from 'vitest'
import { accountIdFor } from './identity'
import { MemoryLedger } from './ledger/memory'
import type { Ledger } from './ledger/types'
import {
  CARDS,
  expectPaid,
  pay,
  payWithNewCard,
  paymentResponse,
  req,
  SECRET,
  useEmulator,
} from '../test/support/harness'

const h = useEmulator()
const NEW_SECRET = 'rotated-secret-9876543210-zyxwvutsrqponmlkjihgfedcba'

describe('account identity', () => {
  it('derives the same account from the same card, and different ones from other cards or secrets', () => {
    expect(accountIdFor(SECRET, 'fp_1')).toBe(accountIdFor(SECRET, 'fp_1'))
    expect(accountIdFor(SECRET, 'fp_1')).not.toBe(accountIdFor(SECRET, 'fp_2'))
    expect(accountIdFor(SECRET, 'fp_1')).not.toBe(accountIdFor(NEW_SECRET, 'fp_1'))
    expect(accountIdFor(SECRET, 'fp_1')).toMatch(/^[0-9a-f]{64}$/)
  })

  it('keeps balances reachable across a secret rotation', async () => {
    const ledger = new MemoryLedger()
    const { paywall: before } = h.paywall({ ledger })
    const { clientId } = await payWithNewCard(h, before)
    const oldAccount = accountIdFor(SECRET, h.emu.charges()[0]!.fingerprint)

    const { paywall: after } = h.paywall({ ledger, secret: [NEW_SECRET, SECRET] })
    // An old credential keeps working…
    expectPaid(await after.begin(req('/api/joke', { payment: pay({ clientId }) })))
    // …and the same card finds its old balance instead of being charged again.
    const again = expectPaid(
      await after.begin(req('/api/joke', { payment: pay({ paymentMethodId: await h.card() }) })),
    )
    expect(again.payment.accountId).toBe(oldAccount)
    expect(paymentResponse(again).creditsRemaining).toBe(3_500)
    expect(h.emu.charges()).toHaveLength(1)

    // A card new to this server gets an account under the newest secret.
    const fresh = expectPaid(
      await after.begin(
        req('/api/joke', { payment: pay({ paymentMethodId: await h.card(CARDS.mastercard) }) }),
      ),
    )
    expect(fresh.payment.accountId).toBe(accountIdFor(NEW_SECRET, h.emu.charges()[1]!.fingerprint))
  })

  it('finds the account during a rotation without reading whole journals', async () => {
    const memory = new MemoryLedger()
    const { paywall: before } = h.paywall({ ledger: memory })
    // A long history under the old secret.
    const { clientId } = await payWithNewCard(h, before)
    for (let i = 0; i < 5; i++)
      expectPaid(await before.begin(req('/api/joke', { payment: pay({ clientId }) })))
    let journalReads = 0
    const ledger = new Proxy(memory, {
      get(target, property) {
        if (property === 'journal') journalReads++
        const value = Reflect.get(target, property) as unknown
        return typeof value === 'function' ? value.bind(target) : value
      },
    }) as Ledger
    const { paywall: after } = h.paywall({ ledger, secret: [NEW_SECRET, SECRET] })
    const again = expectPaid(
      await after.begin(req('/api/joke', { payment: pay({ paymentMethodId: await h.card() }) })),
    )
    expect(again.payment.accountId).toBe(accountIdFor(SECRET, h.emu.charges()[0]!.fingerprint))
    expect(journalReads).toBe(0)
  })
})
