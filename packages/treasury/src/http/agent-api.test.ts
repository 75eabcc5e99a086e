// The Agent API end to end: an agent's handle, the treasury's card, a real stripe402 API charging through the Stripe emulator.
import { describe, expect, it } from 'vitest'
import { useStack, VISA } from '../../test/support/stack'

const stack = useStack()
const joke = () => `${stack.api.url}/api/joke`

async function me(handle: string) {
  const res = await fetch(`${stack.url}/v1/me`, { headers: { authorization: `Bearer ${handle}` } })
  return { status: res.status, body: (await res.json()) as Record<string, any> }
}

describe('POST /v1/fetch', () => {
  it('pays with the treasury card and answers with the upstream answer, its cost and what is left', async () => {
    const agent = await stack.agent()
    const res = await stack.fetchAs(agent.handle, { url: joke() })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ joke: 'A 402 walks into a bar.' })
    expect(res.headers.get('treasury-outcome')).toBe('paid')
    expect(res.headers.get('treasury-cost')).toBe('500')
    expect(res.headers.get('treasury-currency')).toBe('usd')
    expect(res.headers.get('treasury-remaining')).toBe('9500')
    expect(res.headers.get('treasury-top-up')).toBe('50000')
    expect(res.headers.get('payment-response')).toBeNull()

    // The next call spends the credits the first one bought, up front: one upstream request.
    const before = stack.api.received.length
    const second = await stack.fetchAs(agent.handle, { url: joke() })
    expect(second.status).toBe(200)
    expect(second.headers.get('treasury-cost')).toBe('500')
    expect(second.headers.get('treasury-top-up')).toBeNull()
    expect(stack.api.received.length - before).toBe(1)

    expect(await me(agent.handle)).toMatchObject({
      status: 200,
      body: {
        id: agent.id,
        status: 'active',
        spent: { usd: { daily: 1_000, monthly: 1_000, total: 1_000, held: 0 } },
        remaining: { usd: { perCall: 1_000, daily: 9_000, next: 1_000 } },
      },
    })
    expect(stack.emulator.charges()).toHaveLength(1)
    expect(stack.emulator.charges()[0]).toMatchObject({ amount: 500, status: 'succeeded' })
  })

  it('passes method, headers and body, and never the card or the handle', async () => {
    const agent = await stack.agent()
    const res = await stack.fetchAs(agent.handle, {
      method: 'POST',
      url: `${stack.api.url}/api/echo`,
      headers: { 'content-type': 'text/plain', 'x-custom': 'yes', payment: 'forged' },
      body: 'hello',
    })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ body: 'hello', contentType: 'text/plain', custom: 'yes' })
    const upstream = stack.outbound.filter((o) => o.to === 'upstream')
    expect(upstream.length).toBeGreaterThan(0)
    // The agent's forged payment header never went out: the first send carried none.
    expect(upstream[0]?.headers.payment).toBeUndefined()
    for (const o of stack.outbound) {
      const wire = JSON.stringify(o)
      expect(wire).not.toContain(agent.handle.split('.')[1])
      if (o.to === 'stripe' && o.method === 'POST' && o.url.endsWith('/v1/payment_methods'))
        continue
      expect(wire).not.toContain(VISA.number)
    }
    expect(stack.outbound.some((o) => o.body.includes(VISA.number))).toBe(true)
  })
})
