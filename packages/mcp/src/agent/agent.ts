/**
 * `createPayingAgent`: one wallet and one policy for everything an agent pays, HTTP APIs and
 * paid MCP tools alike, on the paying fetch of @stripe402/client.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import {
  createPayingFetch,
  createTreasuryFetch,
  getPaymentInfo,
  type PayingFetch,
  type PayingFetchOptions,
  type PaymentInfo,
  type Policy,
  type TreasuryFetch,
} from '@stripe402/client'
import { cappedPolicy, currentCallCap, withCallCap } from './call-cap'
import { mcpToolFetch, toolCallUrl } from './mcp-fetch'
import { McpUpstreams } from './upstreams'

export interface PayingAgentOptions extends PayingFetchOptions {
  /**
   * Who pays, when not a local card and policy: given the transport (which carries paid MCP tool
   * calls), returns the paying fetch to use. The hook for a treasury handle, so that the agent
   * holds no card; `card`, `policy`, `store` and per-call `maxPrice` are then that fetch's business.
   */
  payingFetch?: (transport: typeof fetch) => PayingFetch
  /**
   * Pay through a treasury (`@stripe402/treasury`) with this agent's handle: the agent holds no
   * card, its caps and allowed origins are the treasury's, and a tool's `maxPrice` travels with each
   * call. The recommended setup. Paid MCP tools (`callTool`) need a local card: a treasury pays HTTP.
   */
  treasury?: { url: string; handle: string }
  /** MCP servers reached by the caller's own transports (stdio…), by the origin the caller names for each (spec §16.3). */
  mcpServers?: Readonly<Record<string, Client>>
}

/** A paid MCP tool call's outcome, for code. */
export interface PaidToolCall {
  /** The tool's result; absent when the call was refused or failed before the tool ran. */
  result?: CallToolResult
  /** What happened about payment (see `@stripe402/client`'s `getPaymentInfo`). */
  payment?: PaymentInfo
  /** The HTTP status the call would have had: 200, 402 (not paid), 500 (the tool failed), 429, 503… */
  status: number
}

export interface PayingAgent {
  /** The paying fetch: HTTP APIs and `POST <origin>/mcp/tools/<name>` of known MCP servers. */
  readonly fetch: PayingFetch
  /** The policy as configured (budgets, caps), for reports. */
  readonly policy: Policy
  /** The treasury this agent pays through, when it holds no card. */
  readonly treasury?: TreasuryFetch
  /** A fetch that never pays (price lookups). */
  readonly plainFetch: typeof fetch
  /** Runs `call` with `maxPrice` (units) as the most any payment in it may cost. */
  withMaxPrice<T>(maxPrice: number | undefined, call: () => Promise<T>): Promise<T>
  /**
   * Calls a tool of an MCP server and pays it if it is priced: `server` is an origin added in
   * `mcpServers` / `addMcpServer`, or a Streamable HTTP endpoint URL, connected on first use.
   */
  callTool(
    server: string,
    name: string,
    args?: Record<string, unknown>,
    options?: { maxPrice?: number },
  ): Promise<PaidToolCall>
  addMcpServer(origin: string, client: Client): void
  /** Closes the MCP connections this agent opened. */
  close(): Promise<void>
}

export function createPayingAgent(options: PayingAgentOptions = {}): PayingAgent {
  const { payingFetch, mcpServers, treasury: handle, fetch: base, ...rest } = options
  const plainFetch: typeof fetch =
    base ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init))
  const upstreams = new McpUpstreams()
  for (const [origin, client] of Object.entries(mcpServers ?? {})) upstreams.add(origin, client)
  const transport = mcpToolFetch((origin) => upstreams.get(origin), plainFetch)
  const policy = options.policy ?? {}
  const treasury =
    handle && createTreasuryFetch({ ...handle, fetch: plainFetch, maxPrice: currentCallCap })
  const pay =
    (treasury && throughTreasury(treasury)) ??
    payingFetch?.(transport) ??
    createPayingFetch({ ...rest, policy: cappedPolicy(policy), fetch: transport })

  return {
    fetch: pay,
    policy,
    ...(treasury && { treasury }),
    plainFetch,
    withMaxPrice: withCallCap,
    async callTool(server, name, args = {}, { maxPrice } = {}) {
      if (treasury)
        throw new Error(
          'paid MCP tools are paid with a local card; this agent pays through a treasury, which pays HTTP APIs only',
        )
      const origin = upstreams.get(new URL(server).origin)
        ? new URL(server).origin
        : await upstreams.connect(server)
      const response = await withCallCap(maxPrice, () =>
        pay(toolCallUrl(origin, name), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(args),
        }),
      )
      const payment = getPaymentInfo(response)
      const body: unknown = await response.json().catch(() => undefined)
      // A 200 or a failed tool's 500 carries the tool's result; a refusal carries { error, message }.
      const ran = Array.isArray((body as { content?: unknown } | undefined)?.content)
      return {
        status: response.status,
        ...(ran && { result: body as CallToolResult }),
        ...(payment && { payment }),
      }
    },
    addMcpServer: (origin, client) => upstreams.add(origin, client),
    close: () => upstreams.close(),
  }
}

/** A treasury fetch where a paying fetch is expected: the wallet is the treasury's (see `treasury.account()`). */
function throughTreasury(treasury: TreasuryFetch): PayingFetch {
  const elsewhere = () =>
    Promise.reject(new Error('this agent pays through a treasury: its account there is the wallet'))
  return Object.assign((input: RequestInfo | URL, init?: RequestInit) => treasury(input, init), {
    wallet: elsewhere,
    journal: elsewhere,
  })
}
