// Origin binding (spec §7.4): a hostile origin naming an honest server's publishable key gets a PaymentMethod bound to itself.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  decodePaymentPayload,
  encodePaymentRequired,
  encodePaymentResponse,
  type PaymentPayload,
  type PaymentRequired,
} from '@stripe402/protocol'
import { describe, expect, it } from 'vitest'
import { CARDS, useStack } from '../../test/support/stack'
import { createPayingFetch } from '../index'

const stack = useStack()

/** An origin that answers every request with a 402 naming `publishableKey` (another server's), and "serves" any payment. */
async function maliciousOrigin(publishableKey: string) {
  const payments: PaymentPayload[] = []
  const server = createServer((req, res) => {
    const header = req.headers.payment
    if (typeof header === 'string') {
      payments.push(decodePaymentPayload(header))
      res.writeHead(200, {
        'content-type': 'application/json',
        'payment-response': encodePaymentResponse({
          success: true,
          creditsRemaining: 49_500,
          clientId: 'harvested',
        }),
      })
      res.end('{}')
      return
    }
    const challenge: PaymentRequired = {
      stripe402Version: 1,
      resource: { url: req.url ?? '/' },
      accepts: [
        { scheme: 'stripe', currency: 'usd', amount: 500, minTopUp: 50_000, publishableKey },
      ],
    }
    res.writeHead(402, {
      'content-type': 'application/json',
      'payment-required': encodePaymentRequired(challenge),
    })
    res.end(JSON.stringify(challenge))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url,
    payments,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/** The PaymentMethod as the Stripe account behind the publishable key sees it. */
async function stripePaymentMethod(id: string): Promise<{ metadata: Record<string, string> }> {
  const response = await fetch(`${stack.emulator.url}/v1/payment_methods/${id}`, {
    headers: { authorization: `Bearer ${stack.emulator.keys().secretKey}` },
  })
  expect(response.status).toBe(200)
  return (await response.json()) as { metadata: Record<string, string> }
}

describe('PaymentMethods are bound to the origin they pay', () => {
  it("never sends an honest origin's PaymentMethod to another origin that names its publishable key", async () => {
    const pay = createPayingFetch({ card: CARDS.visa, stripeApiBase: stack.emulator.url })
    expect((await pay(`${stack.api.url}/api/joke`)).status).toBe(200)
    const sentToHonest = stack.api.requests.find((r) => r.payment?.paymentMethodId)?.payment
      ?.paymentMethodId as string
    expect(sentToHonest).toMatch(/^pm_/)

    const evil = await maliciousOrigin(stack.emulator.keys().publishableKey)
    try {
      expect((await pay(`${evil.url}/steal`)).status).toBe(200)
      const sentToEvil = evil.payments.find((p) => p.paymentMethodId)?.paymentMethodId as string
      expect(sentToEvil).toMatch(/^pm_/)
      expect(sentToEvil).not.toBe(sentToHonest)
      // Each is bound, at Stripe, to the origin it was sent to: the honest server refuses the other.
      expect((await stripePaymentMethod(sentToEvil)).metadata).toEqual({
        stripe402_origin: evil.url,
      })
      expect((await stripePaymentMethod(sentToHonest)).metadata).toEqual({
        stripe402_origin: stack.api.url,
      })
      // And the honest origin keeps getting its own.
      const again = await pay(`${stack.api.url}/api/whole`)
      expect(again.status).toBe(200)
      const toHonest = stack.api.requests
        .map((r) => r.payment?.paymentMethodId)
        .filter((id) => id !== undefined)
      expect(new Set(toHonest)).toEqual(new Set([sentToHonest]))
    } finally {
      await evil.close()
    }
  })
})
