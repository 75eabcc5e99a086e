/** What the emulator charged, read with the account's secret key: money judged from Stripe's side. */

/** A charge the emulator recorded. */
export interface SeenCharge {
  id: string
  amount: number
  currency: string
}

/**
 * The emulator's keys are `pk_test_<account>` and `sk_test_<account>` (its README), so the suite
 * can read the account a server charges in. Only ever used with the emulator: real Stripe's
 * secret key is not derivable, and the suite never asks for one.
 */
export class StripeView {
  private readonly secretKey: string
  constructor(
    private readonly stripeApi: string,
    publishableKey: string,
  ) {
    this.secretKey = publishableKey.replace(/^pk_test_/, 'sk_test_')
  }

  /** The card fingerprint of a PaymentMethod (one fingerprint, one account on the server). */
  async fingerprint(paymentMethodId: string): Promise<string> {
    const pm = (await this.get(`/v1/payment_methods/${encodeURIComponent(paymentMethodId)}`)) as {
      card?: { fingerprint?: string }
    }
    const fingerprint = pm.card?.fingerprint
    if (!fingerprint) throw new Error(`The emulator gave no fingerprint for ${paymentMethodId}.`)
    return fingerprint
  }

  /** Succeeded charges of one card among the account's latest hundred, newest first. */
  async charges(fingerprint: string): Promise<SeenCharge[]> {
    const list = (await this.get('/v1/charges?limit=100')) as {
      data?: Array<{
        id: string
        amount: number
        currency: string
        status: string
        payment_method_details?: { card?: { fingerprint?: string } }
      }>
    }
    return (list.data ?? [])
      .filter(
        (c) =>
          c.status === 'succeeded' && c.payment_method_details?.card?.fingerprint === fingerprint,
      )
      .map(({ id, amount, currency }) => ({ id, amount, currency }))
  }

  /**
   * Asks the emulator to drop its answer to the next `POST /v1/payment_intents` after running it
   * (the card is charged, the server never hears so), through `POST /_emulator/faults`. False when
   * the Stripe API there has no such route (another stand-in, or an emulator without it).
   */
  async dropNextPaymentIntentAnswer(): Promise<boolean> {
    const response = await fetch(`${this.base()}/_emulator/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        method: 'POST',
        path: '/v1/payment_intents',
        afterResponse: true,
        drop: true,
      }),
      signal: AbortSignal.timeout(30_000),
    })
    await response.body?.cancel()
    return response.ok
  }

  /** Clears the emulator's injected faults, so that one the server never met does not hit a later audit. */
  async clearFaults(): Promise<void> {
    const response = await fetch(`${this.base()}/_emulator/faults`, {
      method: 'DELETE',
      signal: AbortSignal.timeout(30_000),
    })
    await response.body?.cancel()
  }

  private base(): string {
    return this.stripeApi.replace(/\/+$/, '')
  }

  private async get(path: string): Promise<unknown> {
    const response = await fetch(`${this.stripeApi.replace(/\/+$/, '')}${path}`, {
      headers: { authorization: `Bearer ${this.secretKey}` },
      signal: AbortSignal.timeout(30_000),
    })
    if (!response.ok)
      throw new Error(`The emulator at ${this.stripeApi} answered ${response.status} to ${path}.`)
    return response.json()
  }
}
