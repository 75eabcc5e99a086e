// The axios entry: the same paying core behind an axios instance.
import axios, { AxiosError } from 'axios'
import { describe, expect, it } from 'vitest'
import { getAxiosPaymentInfo, withStripe402 } from './axios'
import { CARDS, useStack } from '../test/support/stack'

const stack = useStack()

describe('withStripe402', () => {
  it('pays through axios, one round trip per call in steady state', async () => {
    const api = withStripe402(axios.create({ baseURL: stack.api.url }), {
      card: CARDS.visa,
      stripeApiBase: stack.emulator.url,
      policy: { maxAmountPerRequest: 1000 },
    })
    const first = await api.get('/api/joke')
    expect(first.data).toEqual({ joke: 'A 402 walks into a bar.' })
    expect(getAxiosPaymentInfo(first)).toMatchObject({
      outcome: 'paid',
      requests: 2,
      topUp: { units: 50_000 },
    })
    const second = await api.get('/api/joke')
    expect(getAxiosPaymentInfo(second)).toMatchObject({ outcome: 'paid', requests: 1 })
    expect(stack.api.requests).toHaveLength(3)
    expect(stack.emulator.charges()).toHaveLength(1)
    expect((await api.stripe402.wallet()).origins[0]).toMatchObject({
      creditsRemaining: 49_000,
      calls: 2,
    })
  })

  it('replays a JSON body axios serialised', async () => {
    const api = withStripe402(axios.create(), {
      card: CARDS.visa,
      stripeApiBase: stack.emulator.url,
    })
    const res = await api.post(`${stack.api.url}/api/echo`, { city: 'Lisbon' })
    expect(JSON.parse(res.data.body)).toEqual({ city: 'Lisbon' })
    expect(stack.api.requests.map((r) => r.body)).toEqual([
      Buffer.from('{"city":"Lisbon"}').toString('hex'),
      Buffer.from('{"city":"Lisbon"}').toString('hex'),
    ])
  })

  it('rejects with the 402 when the policy refuses, with the reason attached', async () => {
    const api = withStripe402(axios.create(), {
      card: CARDS.visa,
      stripeApiBase: stack.emulator.url,
      policy: { maxAmountPerRequest: 100 },
    })
    const error = await api.get(`${stack.api.url}/api/joke`).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AxiosError)
    expect((error as AxiosError).response?.status).toBe(402)
    expect(getAxiosPaymentInfo(error)).toMatchObject({
      outcome: 'refused',
      reason: 'price_above_max',
    })
    expect(stack.emulator.requests()).toEqual([])
  })
})
