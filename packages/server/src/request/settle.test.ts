/** settle(): debits given back on failed responses, once, per the configured policy. */
import { describe, expect, it } from 'vitest'
import { MemoryLedger } from '../ledger/memory'
import { expectPaid, pay, payWithNewCard, req, useEmulator } from '../../test/support/harness'

const h = useEmulator()

async function spendOnce(overrides: Parameters<typeof h.paywall>[0] = {}) {
  const { paywall, ledger, events, logs } = h.paywall(overrides)
  const { clientId } = await payWithNewCard(h, paywall)
  const outcome = expectPaid(await paywall.begin(req('/api/joke', { payment: pay({ clientId }) })))
  return { paywall, ledger, events, logs, clientId, outcome }
}

describe('settle', () => {
  it('keeps the debit when the handler succeeded', async () => {
    const { paywall, clientId, outcome } = await spendOnce()
    await outcome.settle(200)
    expect(await paywall.balance(clientId)).toBe(4_000)
  })

  it.each([500, 502, 503])('gives the debit back when the handler answered %i', async (status) => {
    const { paywall, clientId, outcome, events } = await spendOnce()
    await outcome.settle(status)
    expect(await paywall.balance(clientId)).toBe(4_500)
    expect(events.at(-1)).toMatchObject({ type: 'reversal', units: 500, status })
  })

  it('is idempotent: settling twice reverses once', async () => {
    const { paywall, clientId, outcome, ledger } = await spendOnce()
    await Promise.all([outcome.settle(500), outcome.settle(500), outcome.settle(200)])
    await outcome.settle(500)
    expect(await paywall.balance(clientId)).toBe(4_500)
    const accountId = outcome.payment.accountId
    expect((await ledger.journal(accountId)).filter((e) => e.kind === 'reversal')).toHaveLength(1)
  })

  it('keeps 4xx debits by default, and follows the policy when one is configured', async () => {
    const kept = await spendOnce()
    await kept.outcome.settle(404)
    expect(await kept.paywall.balance(kept.clientId)).toBe(4_000)

    const never = await spendOnce({ reverseDebit: 'never' })
    await never.outcome.settle(500)
    expect(await never.paywall.balance(never.clientId)).toBe(4_000)

    const custom = await spendOnce({ reverseDebit: (status) => status >= 400 })
    await custom.outcome.settle(404)
    expect(await custom.paywall.balance(custom.clientId)).toBe(4_500)
  })

  it('never throws to the adapter when the reversal fails; it logs instead', async () => {
    const memory = new MemoryLedger()
    const down = async () => {
      throw new Error('ledger down')
    }
    // Neither a reversal nor a held debit's settlement can be written.
    const ledger = Object.assign(Object.create(memory) as MemoryLedger, {
      credit: async (input: Parameters<MemoryLedger['credit']>[0]) => {
        if (input.kind === 'reversal') throw new Error('ledger down')
        return memory.credit(input)
      },
      holds: { ...memory.holds, settle: down },
    })
    const { outcome, logs } = await spendOnce({ ledger })
    await expect(outcome.settle(500)).resolves.toBeUndefined()
    expect(logs.map((l) => l.message)).toContain(
      'could not reverse a debit after a failed response',
    )
  })

  it('reverses the debit of a request paid with a card', async () => {
    const { paywall } = h.paywall()
    const outcome = expectPaid(
      await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId: await h.card() }) })),
    )
    await outcome.settle(500)
    expect(await paywall.balance(outcome.payment.accountId)).toBe(5_000)
  })
})
