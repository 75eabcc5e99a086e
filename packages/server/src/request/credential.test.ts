/** The credit path: one ledger call, exact concurrency, credentials and revocation, ledger outages. */
import { describe, expect, it } from 'vitest'
import { MemoryLedger } from '../ledger/memory'
import type { Ledger } from '../ledger/types'
import {
  expectDeny,
  expectPaid,
  pay,
  payWithNewCard,
  paymentResponse,
  req,
  required,
  useEmulator,
} from '../../test/support/harness'

const h = useEmulator()

/** A MemoryLedger that counts calls per method. */
function countingLedger(): { ledger: Ledger; calls: string[] } {
  const inner = new MemoryLedger()
  const calls: string[] = []
  const ledger = new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown
      if (typeof value !== 'function') return value
      return (...args: unknown[]) => {
        calls.push(String(prop))
        return (value as (...a: unknown[]) => unknown).apply(target, args)
      }
    },
  })
  return { ledger, calls }
}

describe('the credit path', () => {
  it('costs exactly one ledger call per paid request', async () => {
    const { ledger, calls } = countingLedger()
    const { paywall } = h.paywall({ ledger })
    const { clientId } = await payWithNewCard(h, paywall)
    calls.length = 0
    const outcome = expectPaid(
      await paywall.begin(req('/api/joke', { payment: pay({ clientId }) }), {
        clientAddress: '203.0.113.9',
      }),
    )
    await outcome.settle(200)
    expect(calls).toEqual(['spend'])
    expect(paymentResponse(outcome)).toMatchObject({
      success: true,
      creditsRemaining: 4_000,
      clientId,
      amountCharged: 500,
    })
  })

  it('200 concurrent debits against credits for 9 serve exactly 9', async () => {
    const { paywall } = h.paywall()
    const { clientId } = await payWithNewCard(h, paywall)
    expect(await paywall.balance(clientId)).toBe(4_500)
    const outcomes = await Promise.all(
      Array.from({ length: 200 }, () =>
        paywall.begin(req('/api/joke', { payment: pay({ clientId }) })),
      ),
    )
    expect(outcomes.filter((o) => o.type === 'paid')).toHaveLength(9)
    expect(
      outcomes.filter((o) => o.type === 'deny' && required(o).error === 'insufficient_credits'),
    ).toHaveLength(191)
    expect(await paywall.balance(clientId)).toBe(0)
    expect(h.emu.charges()).toHaveLength(1)
  })

  it.each([
    ['garbage', 'not-a-credential'],
    ['a forged token', `s402_${'a'.repeat(64)}_${'b'.repeat(43)}`],
    ['a bare account id in token mode', 'a'.repeat(64)],
  ])(
    'answers %s with insufficient_credits, the code a v1 client pays on',
    async (_name, clientId) => {
      const { paywall } = h.paywall()
      const outcome = expectDeny(
        await paywall.begin(req('/api/joke', { payment: pay({ clientId }) })),
      )
      expect(outcome.status).toBe(402)
      expect(required(outcome)).toMatchObject({
        error: 'insufficient_credits',
        message: expect.stringMatching(/not a credential|Unknown clientId/),
      })
      expect(required(outcome).accepts[0]).toMatchObject({ amount: 500, minTopUp: 5_000 })
      expect(paymentResponse(outcome)).toMatchObject({
        success: false,
        errorCode: 'insufficient_credits',
        creditsRemaining: 0,
        clientId: '',
      })
    },
  )

  it('serves a v1 client holding a stale clientId: it pays on insufficient_credits with its card and the stale clientId', async () => {
    const { paywall } = h.paywall()
    const stale = `s402_${'c'.repeat(64)}_${'d'.repeat(43)}`
    expect(
      required(await paywall.begin(req('/api/joke', { payment: pay({ clientId: stale }) }))).error,
    ).toBe('insufficient_credits')
    const paid = expectPaid(
      await paywall.begin(
        req('/api/joke', {
          payment: pay({ clientId: stale, paymentMethodId: await h.card(), topUpAmount: 5_000 }),
        }),
      ),
    )
    await paid.settle(200)
    expect(paymentResponse(paid).clientId).not.toBe(stale)
    expect(await paywall.balance(paymentResponse(paid).clientId)).toBe(4_500)
    expect(h.emu.charges()).toHaveLength(1)
  })

  it("cannot spend another account's balance by swapping the account id inside a token", async () => {
    const { paywall } = h.paywall()
    const { clientId: alice } = await payWithNewCard(h, paywall)
    const { clientId: bob } = await payWithNewCard(h, paywall, '/api/joke', '5555555555554444')
    const forged = `s402_${bob.slice(5, 69)}_${alice.slice(70)}`
    expect(
      required(await paywall.begin(req('/api/joke', { payment: pay({ clientId: forged }) }))).error,
    ).toBe('insufficient_credits')
    expect(await paywall.balance(bob)).toBe(4_500)
  })

  it('revocation takes effect at once, and the card still gets a new credential', async () => {
    const { paywall } = h.paywall()
    const { clientId } = await payWithNewCard(h, paywall)
    expect(await paywall.revoke(clientId)).toBe(true)
    expect(await paywall.revoke(clientId)).toBe(false)
    const outcome = await paywall.begin(req('/api/joke', { payment: pay({ clientId }) }))
    expect(required(outcome).error).toBe('credential_revoked')
    const fresh = expectPaid(
      await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId: await h.card() }) })),
    )
    const next = paymentResponse(fresh).clientId
    expect(next).not.toBe(clientId)
    expect(paymentResponse(fresh).creditsRemaining).toBe(4_000)
    expectPaid(await paywall.begin(req('/api/joke', { payment: pay({ clientId: next }) })))
  })

  it('revoking in account mode freezes the account', async () => {
    const { paywall } = h.paywall({ credentials: 'account' })
    const { clientId } = await payWithNewCard(h, paywall)
    expect(await paywall.revoke(clientId)).toBe(true)
    expect(
      expectDeny(await paywall.begin(req('/api/joke', { payment: pay({ clientId }) }))).status,
    ).toBe(403)
  })

  it('answers 503 ledger_unavailable with Retry-After when the ledger is down, never free', async () => {
    const memory = new MemoryLedger()
    let down = false
    const ledger = new Proxy(memory, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown
        if (typeof value !== 'function') return value
        return (...args: unknown[]) =>
          down
            ? Promise.reject(new Error('ECONNREFUSED 127.0.0.1:6379'))
            : (value as (...a: unknown[]) => unknown).apply(target, args)
      },
    })
    const { paywall, logs } = h.paywall({ ledger })
    const { clientId } = await payWithNewCard(h, paywall)
    down = true
    for (const payload of [pay({ clientId }), pay({ paymentMethodId: await h.card() })]) {
      const outcome = expectDeny(await paywall.begin(req('/api/joke', { payment: payload })))
      expect(outcome.status).toBe(503)
      expect(outcome.headers['retry-after']).toBe('2')
      expect(JSON.parse(outcome.body)).toMatchObject({ error: 'ledger_unavailable' })
    }
    expect(h.emu.charges()).toHaveLength(1)
    down = false
    expect(await paywall.balance(clientId)).toBe(4_500)
    expect(logs.some((l) => l.level === 'error')).toBe(true)
  })
})
