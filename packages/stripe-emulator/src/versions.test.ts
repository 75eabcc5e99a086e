import Stripe from 'stripe'
import { describe, expect, it } from 'vitest'
import { KNOWN_STRIPE_API_VERSIONS, STRIPE_API_VERSION } from './index'
import { messageOf, rejectionOf, useEmulator } from '../test/support/harness'

const h = useEmulator()

/** What these tests read of an answer: the object's status, or the error. */
interface Answer {
  status?: string
  error?: { type: string; message: string; code?: string; param?: string }
}

/** A raw API call, so that the test picks the `Stripe-Version` header itself. */
async function call(path: string, form: Record<string, string>, version?: string) {
  const headers: Record<string, string> = {
    Authorization: `Bearer ${h.emu.keys().secretKey}`,
    'Content-Type': 'application/x-www-form-urlencoded',
  }
  if (version) headers['Stripe-Version'] = version
  const response = await fetch(`${h.emu.url}${path}`, {
    method: 'POST',
    headers,
    body: new URLSearchParams(form),
  })
  return {
    status: response.status,
    version: response.headers.get('stripe-version'),
    body: (await response.json()) as Answer,
  }
}

const intent = { amount: '500', currency: 'usd', payment_method: 'pm_card_visa', confirm: 'true' }

describe('Stripe-Version', () => {
  it('answers for the version the installed SDK pins, the newest it knows', async () => {
    const pinned = (Stripe as unknown as { API_VERSION?: string }).API_VERSION
    expect(KNOWN_STRIPE_API_VERSIONS).toContain(pinned)
    expect(STRIPE_API_VERSION).toBe(KNOWN_STRIPE_API_VERSIONS.at(-1))
    const pi = await h.stripe().paymentIntents.create({
      amount: 500,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
      allowed_payment_method_types: ['card'],
    })
    expect(pi.status).toBe('succeeded')
    expect(pi.lastResponse.headers['stripe-version']).toBe(pinned)
  })

  it('refuses a version it does not know with 400, naming the versions it knows', async () => {
    const r = await call('/v1/customers', { name: 'x' }, '2019-01-01')
    expect(r.status).toBe(400)
    expect(r.body.error?.type).toBe('invalid_request_error')
    expect(r.body.error?.message).toContain('Invalid Stripe API version: 2019-01-01')
    expect(r.body.error?.message).toContain('2025-08-27.basil')
    expect(r.body.error?.message).toContain(STRIPE_API_VERSION)
    const errorFromSdk = await rejectionOf(
      h
        .stripe('emulator', { apiVersion: '2019-01-01' as Stripe.LatestApiVersion })
        .customers.create({}),
    )
    expect(messageOf(errorFromSdk)).toMatch(/^Invalid Stripe API version/)
  })

  it('takes payment_method_types before 2026-09-30.endive and allowed_payment_method_types from it', async () => {
    const basil = await call(
      '/v1/payment_intents',
      { ...intent, 'payment_method_types[]': 'card' },
      '2025-08-27.basil',
    )
    expect([basil.status, basil.version, basil.body.status]).toEqual([
      200,
      '2025-08-27.basil',
      'succeeded',
    ])
    const renamed = await call(
      '/v1/payment_intents',
      { ...intent, 'allowed_payment_method_types[]': 'card' },
      '2025-08-27.basil',
    )
    expect([renamed.status, renamed.body.error?.code]).toEqual([400, 'parameter_unknown'])

    const endive = await call(
      '/v1/payment_intents',
      { ...intent, 'allowed_payment_method_types[]': 'card' },
      '2026-09-30.endive',
    )
    expect([endive.status, endive.body.status]).toEqual([200, 'succeeded'])
    const old = await call(
      '/v1/payment_intents',
      { ...intent, 'payment_method_types[]': 'card' },
      '2026-11-18.endive',
    )
    expect([old.status, old.body.error?.code, old.body.error?.param]).toEqual([
      400,
      'parameter_unknown',
      'payment_method_types',
    ])
  })

  it('uses the newest version for a request without Stripe-Version', async () => {
    const r = await call('/v1/payment_intents', {
      ...intent,
      'allowed_payment_method_types[]': 'card',
    })
    expect([r.status, r.version]).toEqual([200, STRIPE_API_VERSION])
  })
})
