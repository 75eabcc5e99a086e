/** `fetch_paid`: fetches a URL and pays its stripe402 price within the policy and `maxPrice`. */
import { getPaymentInfo } from '@stripe402/client'
import type { PayingAgent } from '../agent/agent'
import { messageOf, type ToolAnswer } from './answer'
import { explainPayment, notStripe402 } from './explain'
import { costSentence, summarize } from './payment-summary'

export interface FetchPaidInput {
  url: string
  method?: string
  headers?: Record<string, string>
  body?: string
  /** The most this call may cost, in units (1 unit = 1/10,000 of the currency's major unit). */
  maxPrice?: number
}

/** Longest body handed to a model, in characters. */
export const MAX_BODY_CHARS = 100_000

export async function fetchPaid(agent: PayingAgent, input: FetchPaidInput): Promise<ToolAnswer> {
  let response: Response
  try {
    response = await agent.withMaxPrice(input.maxPrice, () =>
      agent.fetch(input.url, {
        method: input.method ?? (input.body === undefined ? 'GET' : 'POST'),
        ...(input.headers && { headers: input.headers }),
        ...(input.body !== undefined && { body: input.body }),
      }),
    )
  } catch (error) {
    return {
      isError: true,
      text: `The request to ${input.url} could not be made: ${messageOf(error)}. Nothing was paid.`,
      data: { url: input.url, error: messageOf(error) },
    }
  }
  const info = getPaymentInfo(response)
  const payment = summarize(info)
  const full = await response.text().catch(() => '')
  const truncated = full.length > MAX_BODY_CHARS
  const body = truncated ? full.slice(0, MAX_BODY_CHARS) : full
  const data = {
    url: input.url,
    status: response.status,
    contentType: response.headers.get('content-type') ?? undefined,
    body,
    ...(truncated && { truncated: true }),
    payment,
  }
  if (info && (info.outcome === 'refused' || info.outcome === 'failed')) {
    return { isError: true, text: explainPayment(info), data }
  }
  if (response.status === 402) return { isError: true, text: notStripe402(input.url), data }
  const cut = truncated ? `\n[body cut at ${MAX_BODY_CHARS} of ${full.length} characters]` : ''
  return {
    isError: false,
    text: `HTTP ${response.status}. ${costSentence(info)}\n\n${body}${cut}`,
    data,
  }
}
