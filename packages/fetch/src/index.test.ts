/** The fetch adapter adds the paywall's headers whether or not the handler's Response headers are mutable. */
import type { Paywall, PaywallOutcome } from '@stripe402/server'
import { describe, expect, it } from 'vitest'
import { withPaywall } from './index'

/** A paywall whose every request is paid: enough to watch the adapter translate. */
function paidPaywall(settled: number[]): Paywall {
  const outcome: PaywallOutcome = {
    type: 'paid',
    headers: {
      'payment-response': 'receipt',
      'access-control-expose-headers': 'payment-required, payment-response',
    },
    payment: { accountId: 'acct', amount: 500, currency: 'usd', creditsRemaining: 4500 },
    settle: async (status) => void settled.push(status),
  }
  return { begin: async () => outcome } as unknown as Paywall
}

describe('withPaywall', () => {
  it('sets the headers in place on a plain Response', async () => {
    const settled: number[] = []
    const original = new Response('ok', { status: 201 })
    const res = await withPaywall(paidPaywall(settled), () => original)(new Request('http://x/api'))
    expect(res).toBe(original)
    expect(res.headers.get('payment-response')).toBe('receipt')
    expect(settled).toEqual([201])
  })

  it('copies a Response whose headers are immutable', async () => {
    const settled: number[] = []
    const res = await withPaywall(paidPaywall(settled), () =>
      Response.redirect('http://x/elsewhere', 302),
    )(new Request('http://x/api'))
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toBe('http://x/elsewhere')
    expect(res.headers.get('payment-response')).toBe('receipt')
    expect(settled).toEqual([302])
  })

  it('sends the 204 the paywall answers a CORS preflight with (a Response with a body cannot have that status)', async () => {
    const paywall = {
      begin: async () => ({
        type: 'respond',
        status: 204,
        headers: { 'access-control-allow-headers': 'payment' },
        body: '',
      }),
    } as unknown as Paywall
    const res = await withPaywall(
      paywall,
      () => new Response('handler'),
    )(new Request('http://x/api', { method: 'OPTIONS' }))
    expect(res.status).toBe(204)
    expect(res.headers.get('access-control-allow-headers')).toBe('payment')
    expect(await res.text()).toBe('')
  })
})
