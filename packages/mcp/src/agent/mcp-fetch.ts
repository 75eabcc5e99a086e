/**
 * Lets the paying fetch of @stripe402/client pay MCP tools: a call of tool `name` on the MCP
 * server of `origin` is the request `POST <origin>/mcp/tools/<name>` (JSON arguments as body),
 * which this fetch carries as a `tools/call` and whose result it answers as HTTP would (spec §16).
 * So policy, budgets, tokenization, credentials and the wallet are the client's, written once.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { type CallToolResult, CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js'
import {
  decodePaymentPayload,
  encodePaymentRequired,
  encodePaymentResponse,
  HEADERS,
} from '@stripe402/protocol'
import { META } from '../binding/names'
import { readChallenge, readReceipt } from '../binding/read'

const TOOLS_PREFIX = '/mcp/tools/'

/** The MCP client connected to the server of an origin, if this agent knows one. */
export type McpClientFor = (origin: string) => Client | undefined

/** The URL the paying fetch is given for a call of `tool` on the MCP server of `origin`. */
export function toolCallUrl(origin: string, tool: string): string {
  return `${origin}${TOOLS_PREFIX}${encodeURIComponent(tool)}`
}

/** A fetch that sends tool calls of known MCP servers as `tools/call` and everything else to `base`. */
export function mcpToolFetch(clientFor: McpClientFor, base: typeof fetch): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init)
    const url = new URL(request.url)
    const client = clientFor(url.origin)
    if (!client || request.method !== 'POST' || !url.pathname.startsWith(TOOLS_PREFIX)) {
      return base(input, init)
    }
    const name = decodeURIComponent(url.pathname.slice(TOOLS_PREFIX.length))
    const text = await request.text()
    const args: unknown = text === '' ? {} : JSON.parse(text)
    const payment = request.headers.get(HEADERS.PAYMENT)
    // `request` rather than `callTool`: SDK 1.x clients check `structuredContent` against a
    // tool's output schema even on error results, which would throw on every challenge.
    const result = (await client.request(
      {
        method: 'tools/call',
        params: {
          name,
          arguments: args as Record<string, unknown>,
          ...(payment !== null && { _meta: { [META.PAYMENT]: decodePaymentPayload(payment) } }),
        },
      },
      CallToolResultSchema,
      { signal: request.signal },
    )) as CallToolResult
    return responseOf(result)
  }
}

/** The HTTP answer a server would have given: 402 with the challenge, the refusal's status, 500 for a failed tool. */
function responseOf(result: CallToolResult): Response {
  const headers = new Headers({ 'content-type': 'application/json' })
  const receipt = readReceipt(result)
  if (receipt) headers.set(HEADERS.PAYMENT_RESPONSE, encodePaymentResponse(receipt))
  const challenge = readChallenge(result)
  if (challenge) {
    headers.set(HEADERS.PAYMENT_REQUIRED, encodePaymentRequired(challenge))
    return new Response(JSON.stringify(challenge), { status: 402, headers })
  }
  const meta = result._meta ?? {}
  const status = meta[META.STATUS]
  if (result.isError === true && typeof status === 'number' && status >= 400 && status <= 599) {
    const retryAfter = meta[META.RETRY_AFTER]
    if (typeof retryAfter === 'number') headers.set('retry-after', String(retryAfter))
    return new Response(JSON.stringify(result.structuredContent ?? {}), { status, headers })
  }
  return new Response(JSON.stringify(result), { status: result.isError ? 500 : 200, headers })
}
