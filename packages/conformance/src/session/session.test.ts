import { startStripeEmulator, type StripeEmulator } from '@stripe402/stripe-emulator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFixtureServer, type FixtureServer } from '../fixtures/server'
import { auditServer, type Card, createPaymentMethod } from '../index'

describe('payment sources and transports', () => {
  let emu: StripeEmulator
  let server: FixtureServer
  beforeAll(async () => {
    emu = await startStripeEmulator({ port: 0 })
    server = await startFixtureServer({ stripeApi: emu.url, ...emu.keys() })
  })
  afterAll(async () => {
    await server.close()
    await emu.close()
  })

  it('obtains PaymentMethods from createPaymentMethod and reaches the server through the given fetch', async () => {
    const tokenized: Array<[string, string]> = []
    const requested: string[] = []
    const report = await auditServer({
      url: server.url,
      route: 'GET /api/joke',
      only: ['S402-PAY-01', 'S402-PAY-03', 'S402-MON-01'],
      fetch: (url, init) => {
        requested.push(url)
        return fetch(url, init)
      },
      payment: {
        card: {
          number: '3566002020360505',
          exp_month: 1,
          exp_year: new Date().getFullYear() + 2,
          cvc: '321',
        },
        createPaymentMethod: (publishableKey: string, card: Card) => {
          tokenized.push([publishableKey, card.number])
          return createPaymentMethod(emu.url, publishableKey, card)
        },
      },
    })
    expect(report.results.map((r) => [r.id, r.status])).toEqual([
      ['S402-PAY-01', 'ok'],
      ['S402-PAY-03', 'ok'],
      ['S402-MON-01', 'ok'],
    ])
    // The primary card is the one given; the funded account of MON-01 pays with its own test card, twice.
    expect(tokenized).toEqual([
      ['pk_test_emulator', '3566002020360505'],
      ['pk_test_emulator', '5555555555554444'],
      ['pk_test_emulator', '5555555555554444'],
    ])
    expect(requested.every((url) => url === `${server.url}/api/joke`)).toBe(true)
    expect(requested).toHaveLength(5)
  })

  it('names the card when Stripe refuses to tokenize it', async () => {
    const report = await auditServer({
      url: server.url,
      route: 'GET /api/joke',
      only: ['S402-PAY-01'],
      payment: {
        stripeApi: emu.url,
        card: {
          number: '4242424242424241',
          exp_month: 12,
          exp_year: new Date().getFullYear() + 2,
          cvc: '123',
        },
      },
    })
    expect(report.ok).toBe(false)
    expect(report.results[0]?.reason).toMatch(
      /could not be completed: Stripe at .* refused to tokenize card 4241: Your card number is incorrect\./,
    )
  })
})
