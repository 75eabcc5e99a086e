/** Nothing secret reaches logs, events or error bodies. */
import { describe, expect, it } from 'vitest'
import { MemoryLedger } from './ledger/memory'
import { redact } from './redact'
import { CARDS, pay, payWithNewCard, req, SECRET, useEmulator } from '../test/support/harness'

const h = useEmulator()

describe('redact', () => {
  it('removes PaymentMethod ids, keys, credentials and card numbers', () => {
    const text = redact(
      `No such PaymentMethod: 'pm_1Abc'; key sk_test_abc123 rk_live_x whsec_y s402_${'a'.repeat(64)}_${'b'.repeat(43)} card 4242 4242 4242 4242 pi_123_secret_456`,
    )
    expect(text).not.toMatch(
      /pm_1Abc|sk_test_abc123|rk_live_x|whsec_y|s402_a|4242 4242|_secret_456/,
    )
    expect(text).toContain('pm_[redacted]')
  })

  it('keeps ids that are not secrets', () => {
    expect(redact('charge ch_123 for pi_456 and account 9f86d081')).toBe(
      'charge ch_123 for pi_456 and account 9f86d081',
    )
  })
})

describe('what the engine writes', () => {
  it('never puts secrets, card numbers, PaymentMethod ids or credentials in logs, events or error bodies', async () => {
    const memory = new MemoryLedger()
    let down = false
    const ledger = new Proxy(memory, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown
        if (typeof value !== 'function') return value
        return (...args: unknown[]) =>
          down
            ? Promise.reject(
                new Error(
                  `redis down while handling ${String(args[0] && JSON.stringify(args[0]))}`,
                ),
              )
            : (value as (...a: unknown[]) => unknown).apply(target, args)
      },
    })
    const { paywall, logs, events } = h.paywall({ ledger })
    const bodies: string[] = []
    const pms: string[] = []
    const record = async (payload: Parameters<typeof pay>[0], path = '/api/joke') => {
      if (payload.paymentMethodId) pms.push(payload.paymentMethodId)
      const outcome = await paywall.begin(req(path, { payment: pay(payload) }))
      if (outcome.type === 'deny')
        bodies.push(
          outcome.body,
          ...Object.values(outcome.headers).map((v) => Buffer.from(v, 'base64').toString()),
        )
      if (outcome.type === 'paid') await outcome.settle(500)
    }
    const { clientId } = await payWithNewCard(h, paywall)
    await record({ clientId })
    await record({ paymentMethodId: await h.card(CARDS.declined) })
    await record({ paymentMethodId: await h.card(CARDS.threeDSecure) })
    await record({ paymentMethodId: 'pm_unknown_secret_looking_id' })
    h.emu.inject({ path: '/v1/payment_intents', status: 500 })
    await record({ paymentMethodId: await h.card(CARDS.mastercard) })
    await paywall.revoke(clientId)
    await record({ clientId })
    down = true
    await record({ clientId })
    await record({ paymentMethodId: await h.card() })

    const written = JSON.stringify({ logs, events, bodies })
    expect(logs.length).toBeGreaterThan(0)
    const forbidden = [
      SECRET,
      h.emu.keys().secretKey,
      clientId,
      clientId.slice(70),
      ...Object.values(CARDS),
      ...pms,
    ]
    for (const value of forbidden) expect(written).not.toContain(value)
    expect(written).not.toMatch(/\bpm_[A-Za-z0-9]/)
  })
})
