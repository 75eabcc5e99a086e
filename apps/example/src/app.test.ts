/** The example's dynamic price is what its handler serves, whatever the query spelling. */
import type { AddressInfo } from 'node:net'
import { decodePaymentRequired, HEADERS } from '@stripe402/protocol'
import { createPaywall, MemoryLedger, type Paywall } from '@stripe402/server'
import { describe, expect, it } from 'vitest'
import { createApp, ROUTES } from './app'

describe('GET /api/report', () => {
  it.each(['?days=3', '?days[]=365', '?days=2&days=365', '?days[0]=365', '?days=40'])(
    'is priced %s at 100 units per day the handler reports',
    async (query) => {
      const engine = createPaywall({
        stripe: { secretKey: 'sk_test_example', publishableKey: 'pk_test_example' },
        secret: 'example-app-test-secret-long-enough-0123456789',
        ledger: new MemoryLedger(),
        routes: ROUTES,
      })
      // The price the 402 asks, then the handler run as if paid, to read the days it serves.
      const prices: number[] = []
      const paywall: Paywall = {
        ...engine,
        begin: async (request, options) => {
          const outcome = await engine.begin(request, options)
          if (outcome.type !== 'deny') return outcome
          const challenge = decodePaymentRequired(outcome.headers[HEADERS.PAYMENT_REQUIRED])
          prices.push(challenge.accepts[0]!.amount)
          return { type: 'free' }
        },
      }
      const server = createApp(paywall).listen(0, '127.0.0.1')
      await new Promise((resolve) => server.once('listening', resolve))
      try {
        const { port } = server.address() as AddressInfo
        const res = await fetch(`http://127.0.0.1:${port}/api/report${query}`)
        const { days } = (await res.json()) as { days: number }
        expect(prices).toEqual([100 * days])
      } finally {
        server.close()
      }
    },
  )
})
