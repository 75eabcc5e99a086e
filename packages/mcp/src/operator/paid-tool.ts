/**
 * `paidTool`: registers a tool on an McpServer of the official SDK with a price from the
 * stripe402 engine (`createPaywall`): ledgers, exactly-once top-ups, and no charge for a call
 * whose tool fails. The binding is spec §16.
 */
import type {
  McpServer,
  RegisteredTool,
  ToolCallback,
} from '@modelcontextprotocol/sdk/server/mcp.js'
import type { AnySchema, ZodRawShapeCompat } from '@modelcontextprotocol/sdk/server/zod-compat.js'
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js'
import type {
  CallToolResult,
  ServerNotification,
  ServerRequest,
  ToolAnnotations,
} from '@modelcontextprotocol/sdk/types.js'
import { HEADERS } from '@stripe402/protocol'
import type { Paywall } from '@stripe402/server'
import { toolPath, toolRoute } from '../binding/names'
import { paymentHeaderOf } from '../binding/read'
import { routeFor } from '../prices/match'
import { refusalResult, thrownResult, withReceipt } from './results'

/** What a tool handler receives beside its arguments. */
export type ToolExtra = RequestHandlerExtra<ServerRequest, ServerNotification>

/** The config `McpServer.registerTool` takes. */
export interface PaidToolConfig<InputArgs, OutputArgs> {
  title?: string
  description?: string
  inputSchema?: InputArgs
  outputSchema?: OutputArgs
  annotations?: ToolAnnotations
  _meta?: Record<string, unknown>
}

export interface PaidToolOptions {
  /** The caller's network address, for the engine's failed-payment limits (from `extra.requestInfo` behind a proxy you trust). */
  clientAddress?: (extra: ToolExtra) => string | undefined
}

type AnyHandler = (...params: unknown[]) => CallToolResult | Promise<CallToolResult>

/**
 * Registers `name` like `server.registerTool`, priced by the paywall route `POST /mcp/tools/<name>`
 * (see `toolRoutes`). A price function of that route reads the tool's arguments as `parsedQuery`.
 * The tool runs only when paid; a call whose tool throws, returns `isError: true`, or is
 * cancelled is settled as a failure, so the engine gives its debit back.
 * Throws when the paywall prices no such route: an unpriced "paid" tool would run for free.
 */
export function paidTool<
  OutputArgs extends ZodRawShapeCompat | AnySchema,
  InputArgs extends undefined | ZodRawShapeCompat | AnySchema = undefined,
>(
  server: McpServer,
  paywall: Paywall,
  name: string,
  config: PaidToolConfig<InputArgs, OutputArgs>,
  handler: ToolCallback<InputArgs>,
  options: PaidToolOptions = {},
): RegisteredTool {
  const path = toolPath(name)
  if (!routeFor(paywall.priceList().routes, 'POST', path)) {
    throw new Error(
      `paidTool("${name}"): the paywall prices no route for this tool, so it would run for free. Add '${toolRoute(name)}': { amount, … } to createPaywall({ routes }) (toolRoutes() builds these keys).`,
    )
  }
  const run = handler as unknown as AnyHandler
  const paid: AnyHandler = async (...params) => {
    // McpServer passes (args, extra) to a tool with an input schema and (extra) to one without.
    const extra = params.at(-1) as ToolExtra
    const args = params.length > 1 ? params[0] : undefined
    const payment = paymentHeaderOf(extra._meta)
    const outcome = await paywall.begin(
      {
        method: 'POST',
        url: path,
        headers: { get: (header) => (header.toLowerCase() === HEADERS.PAYMENT ? payment : null) },
        parsedQuery: isRecord(args) ? args : {},
      },
      { key: extra, clientAddress: options.clientAddress?.(extra) },
    )
    switch (outcome.type) {
      case 'free':
        return run(...params)
      case 'deny':
        return refusalResult(outcome)
      case 'respond':
      case 'webhook':
        // Neither answers a POST to a tool's path unless the paywall's own paths were set to it.
        return refusalResult({
          status: 500,
          headers: {},
          body: JSON.stringify({
            error: 'internal_error',
            message: `The paywall answers ${path} itself (its discovery or webhook path); the tool did not run.`,
          }),
        })
      case 'paid': {
        let result: CallToolResult
        try {
          result = await run(...params)
        } catch (error) {
          await outcome.settle(500)
          return withReceipt(thrownResult(error), outcome.headers)
        }
        // A cancelled call's answer never reaches the client: nothing was served.
        await outcome.settle(result.isError === true || extra.signal.aborted ? 500 : 200)
        return withReceipt(result, outcome.headers)
      }
    }
  }
  return server.registerTool(name, config, paid as unknown as ToolCallback<InputArgs>)
}

/**
 * Paywall routes for tools, keyed as `paidTool` looks them up:
 * `createPaywall({ routes: { ...toolRoutes({ forecast: { amount: 500 } }) } })`.
 */
export function toolRoutes<Route>(prices: Readonly<Record<string, Route>>): Record<string, Route> {
  return Object.fromEntries(Object.entries(prices).map(([name, route]) => [toolRoute(name), route]))
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
