/** Turns the engine's answers into `tools/call` results of the MCP binding (spec §16.2). */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import {
  decodePaymentResponse,
  formatUnits,
  HEADERS,
  type PaymentRequired,
  type PaymentResponse,
} from '@stripe402/protocol'
import type { PaywallResponse } from '@stripe402/server'
import { META } from '../binding/names'

/** A 402 becomes a challenge; any other refusal an error result naming its code and status. */
export function refusalResult(response: PaywallResponse): CallToolResult {
  const body = parseBody(response.body)
  const failure = receiptOf(response.headers)
  if (response.status === 402 && body) {
    const required = body as PaymentRequired
    return {
      content: [{ type: 'text', text: challengeText(required) }],
      structuredContent: required,
      isError: true,
      ...(failure && { _meta: { [META.PAYMENT_RESPONSE]: failure } }),
    }
  }
  const error = typeof body?.error === 'string' ? body.error : 'internal_error'
  const message =
    typeof body?.message === 'string' ? body.message : `The paywall refused the call (${error}).`
  const retryAfter = Number(response.headers['retry-after'])
  return {
    content: [{ type: 'text', text: message }],
    structuredContent: { error, message },
    isError: true,
    _meta: {
      [META.STATUS]: response.status,
      ...(Number.isSafeInteger(retryAfter) && retryAfter > 0 && { [META.RETRY_AFTER]: retryAfter }),
    },
  }
}

/** The tool's own result with the receipt of its debit added to `_meta`. */
export function withReceipt(
  result: CallToolResult,
  headers: Record<string, string>,
): CallToolResult {
  const receipt = receiptOf(headers)
  if (!receipt) return result
  return { ...result, _meta: { ...result._meta, [META.PAYMENT_RESPONSE]: receipt } }
}

/** What a thrown tool answers: an error result (not a JSON-RPC error), so its receipt still reaches the client. */
export function thrownResult(error: unknown): CallToolResult {
  const message = error instanceof Error ? error.message : String(error)
  return { content: [{ type: 'text', text: message }], isError: true }
}

/** The price in words a model can act on, after the server's own reason. */
function challengeText(required: PaymentRequired): string {
  const accept = required.accepts[0]
  const reason = required.message ?? 'Payment required.'
  if (!accept) return reason
  const price = `${formatUnits(accept.amount, accept.currency)} (${accept.amount} units)`
  const topUp = formatUnits(accept.minTopUp, accept.currency)
  return `${reason} This tool costs ${price} a call, paid from a prepaid stripe402 balance topped up by card from ${topUp}. Call it through a stripe402 client, which pays within its budget.`
}

function receiptOf(headers: Record<string, string>): PaymentResponse | undefined {
  const header = headers[HEADERS.PAYMENT_RESPONSE]
  if (header === undefined) return
  try {
    return decodePaymentResponse(header)
  } catch {
    return undefined
  }
}

function parseBody(body: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body)
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}
