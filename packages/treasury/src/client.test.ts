// An agent's code with createTreasuryFetch: fetch's signature, the treasury pays, the agent reads cost and refusals.
import { describe, expect, it } from 'vitest'
import { useStack } from '../test/support/stack'
import { getPaymentInfo } from '@stripe402/client'
import { createTreasuryFetch, getTreasuryInfo } from './client'

const stack = useStack()

describe('createTreasuryFetch', () => {
  it('is a fetch: the agent gets the API answer, and what the call cost', async () => {
    const agent = await stack.agent()
    const pay = createTreasuryFetch({ url: `${stack.url}/`, handle: agent.handle })
    const res = await pay(new URL('/api/joke', stack.api.url))
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ joke: 'A 402 walks into a bar.' })
    expect(getTreasuryInfo(res)).toEqual({
      callId: expect.any(String),
      outcome: 'paid',
      cost: 500,
      currency: 'usd',
      remaining: 9_500,
      topUp: 50_000,
    })

    const bytes = new Uint8Array([0, 255, 1, 254])
    const echo = await pay(`${stack.api.url}/api/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: bytes,
    })
    expect(echo.status).toBe(200)
    const received = stack.api.received.at(-1)
    expect(received?.path).toBe('/api/echo')
    expect(received?.hex).toBe('00ff01fe')
    expect(received?.headers['content-type']).toBe('application/octet-stream')
    expect(getTreasuryInfo(echo)).toMatchObject({ outcome: 'paid', cost: 500 })
    expect(getTreasuryInfo(new Response('x'))).toBeUndefined()
  })

  it('answers getPaymentInfo as a paying fetch does, and tells the agent its account', async () => {
    const agent = await stack.agent()
    const pay = createTreasuryFetch({ url: stack.url, handle: agent.handle })
    const res = await pay(`${stack.api.url}/api/joke`)
    expect(getPaymentInfo(res)).toEqual({
      outcome: 'paid',
      origin: new URL(stack.api.url).origin,
      route: 'GET /api/joke',
      requests: 1,
      currency: 'usd',
      amount: 500,
      topUp: { units: 50_000 },
    })
    const refused = await pay('https://example.com/')
    expect(getPaymentInfo(refused)).toMatchObject({
      outcome: 'refused',
      reason: 'origin_not_allowed',
    })
    const account = await pay.account()
    expect(account.spent.usd).toMatchObject({ daily: 500, total: 500 })
    expect(account.remaining.usd?.daily).toBe(9_500)
    const wrong = createTreasuryFetch({ url: stack.url, handle: `${agent.handle}x` })
    await expect(wrong.account()).rejects.toThrow(/401/)
  })

  it('hands back refusals as answers with the reason, never as exceptions', async () => {
    const agent = await stack.agent({ caps: { usd: { perCall: 100 } } })
    const pay = createTreasuryFetch({ url: stack.url, handle: agent.handle })
    const refused = await pay(`${stack.api.url}/api/joke`)
    expect(refused.status).toBe(402)
    expect(getTreasuryInfo(refused)).toMatchObject({
      outcome: 'refused',
      reason: 'cap_reached',
      cost: 0,
    })
    const elsewhere = await pay('https://example.com/')
    expect(elsewhere.status).toBe(403)
    expect(getTreasuryInfo(elsewhere)).toEqual({
      reason: 'origin_not_allowed',
      error: 'origin_not_allowed',
    })
    expect(() => createTreasuryFetch({ url: stack.url, handle: 'pk_test_nope' })).toThrow(TypeError)
  })
})
