/** Turns card details into a Stripe PaymentMethod with a publishable key, over plain fetch (Node, browsers, edge). */
import { ORIGIN_BINDING } from '@stripe402/protocol'
import type { Card } from '../options'

export const DEFAULT_STRIPE_API_BASE = 'https://api.stripe.com'

export type TokenizeResult =
  | { ok: true; id: string }
  | { ok: false; code: string; declineCode?: string; message: string }

export interface TokenizeInput {
  fetch: typeof fetch
  apiBase: string
  publishableKey: string
  /** The origin the PaymentMethod will pay, recorded on it (spec §7.4), e.g. `https://api.example.com`. */
  origin: string
  card: Card
  signal: AbortSignal | undefined
}

/**
 * `POST /v1/payment_methods` as Stripe.js does it. Only Stripe's own error text is passed
 * on: it never echoes the card number, and neither does this function.
 */
export async function tokenizeCard(input: TokenizeInput): Promise<TokenizeResult> {
  const body = new URLSearchParams({
    type: 'card',
    'card[number]': input.card.number.replace(/[\s-]/g, ''),
    'card[exp_month]': String(input.card.exp_month),
    'card[exp_year]': String(input.card.exp_year),
    'card[cvc]': input.card.cvc,
    // Stripe accepts metadata with a publishable key; a server that honours origin binding
    // refuses this PaymentMethod from anyone who relays it from another origin.
    [`metadata[${ORIGIN_BINDING.METADATA_KEY}]`]: input.origin,
  })
  let response: Response
  try {
    response = await input.fetch(`${input.apiBase.replace(/\/+$/, '')}/v1/payment_methods`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${input.publishableKey}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body,
      signal: input.signal,
    })
  } catch (error) {
    if (input.signal?.aborted) throw input.signal.reason
    return {
      ok: false,
      code: 'stripe_unreachable',
      message: `Could not reach the Stripe API at ${input.apiBase}: ${(error as Error).message}`,
    }
  }
  const json = await readJson(response)
  const id = json && typeof json.id === 'string' ? json.id : undefined
  if (response.ok && id?.startsWith('pm_')) return { ok: true, id }
  const error =
    json && typeof json.error === 'object' && json.error !== null
      ? (json.error as Record<string, unknown>)
      : {}
  return {
    ok: false,
    code: typeof error.code === 'string' ? error.code : `stripe_http_${response.status}`,
    ...(typeof error.decline_code === 'string' ? { declineCode: error.decline_code } : {}),
    message: `Stripe refused the card: ${typeof error.message === 'string' ? error.message : `HTTP ${response.status}`}`,
  }
}

async function readJson(response: Response): Promise<Record<string, unknown> | undefined> {
  try {
    const value: unknown = await response.json()
    return typeof value === 'object' && value !== null
      ? (value as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}
