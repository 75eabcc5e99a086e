/**
 * `price_of`: what a URL costs, without paying: the origin's price list (`/.well-known/stripe402`,
 * spec §12.1), else the challenge of an unpaid GET or HEAD (which a paid route answers with a 402
 * before doing anything). A request with another method is never sent: it could act.
 */
import {
  DiscoveryDocumentSchema,
  decodePaymentRequired,
  HEADERS,
  type PaymentRequired,
  WELL_KNOWN_PATH,
} from '@stripe402/protocol'
import type { PayingAgent } from '../agent/agent'
import { routeFor } from '../prices/match'
import { messageOf, money, type ToolAnswer } from './answer'
import { notStripe402 } from './explain'

export interface PriceOfInput {
  url: string
  /** Default GET. */
  method?: string
}

export async function priceOf(agent: PayingAgent, input: PriceOfInput): Promise<ToolAnswer> {
  const method = (input.method ?? 'GET').toUpperCase()
  let url: URL
  try {
    url = new URL(input.url)
  } catch {
    return refused(input.url, `"${input.url}" is not an absolute URL (https://…).`)
  }
  const listed = await fromPriceList(agent, url, method)
  if (listed && listed.amount !== 'dynamic') {
    const { amount, currency, minTopUp } = listed
    return priced(input.url, method, { amount, currency, minTopUp }, 'price list', listed)
  }
  if (listed === null) {
    return {
      isError: false,
      text: `${method} ${input.url} is free: ${url.origin}'s stripe402 price list does not price it.`,
      data: { url: input.url, method, priced: false, source: 'price list' },
    }
  }
  if (method !== 'GET' && method !== 'HEAD') {
    return refused(
      input.url,
      `${url.origin} publishes no price for ${method} ${url.pathname}, and asking would send the ${method} itself. Call fetch_paid with a maxPrice instead: it pays only up to that.`,
    )
  }
  let response: Response
  try {
    response = await agent.plainFetch(input.url, { method, redirect: 'manual' })
    await response.body?.cancel()
  } catch (error) {
    return refused(input.url, `${input.url} could not be reached: ${messageOf(error)}.`)
  }
  if (response.status !== 402) {
    return {
      isError: false,
      text: `${method} ${input.url} is free: it answered HTTP ${response.status} without asking for payment.`,
      data: { url: input.url, method, priced: false, status: response.status, source: 'request' },
    }
  }
  let required: PaymentRequired
  try {
    required = decodePaymentRequired(response.headers.get(HEADERS.PAYMENT_REQUIRED))
  } catch {
    return refused(input.url, notStripe402(input.url))
  }
  const accept = required.accepts[0]
  if (!accept) return refused(input.url, notStripe402(input.url))
  return priced(input.url, method, accept, 'challenge', { description: accept.description })
}

/** The route of the origin's price list for this request: `null` when the list prices none, `undefined` without a list. */
async function fromPriceList(agent: PayingAgent, url: URL, method: string) {
  try {
    const response = await agent.plainFetch(`${url.origin}${WELL_KNOWN_PATH}`, {
      headers: { accept: 'application/json' },
    })
    if (!response.ok) {
      await response.body?.cancel()
      return undefined
    }
    const list = DiscoveryDocumentSchema.safeParse(await response.json())
    if (!list.success) return undefined
    return routeFor(list.data.routes, method, url.pathname) ?? null
  } catch {
    return undefined
  }
}

function priced(
  url: string,
  method: string,
  price: { amount: number; currency: string; minTopUp: number },
  source: 'price list' | 'challenge',
  extra: { description?: string | undefined },
): ToolAnswer {
  const { amount, currency, minTopUp } = price
  const what = extra.description ? ` (${extra.description})` : ''
  return {
    isError: false,
    text: `${method} ${url}${what} costs ${money(amount, currency)} a call, from prepaid credits topped up by card from ${money(minTopUp, currency)} (from its ${source}). Nothing was paid.`,
    data: {
      url,
      method,
      priced: true,
      amount,
      currency,
      minTopUp,
      source,
      ...(extra.description && { description: extra.description }),
    },
  }
}

function refused(url: string, text: string): ToolAnswer {
  return { isError: true, text, data: { url, error: text } }
}
