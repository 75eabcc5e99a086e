/** The agent tools, defined once: name, description, input schema and what runs. Every framework adapter maps this table. */
import { z } from 'zod'
import type { PayingAgent } from '../agent/agent'
import type { ToolAnswer } from './answer'
import { callPaidTool } from './call-paid-tool'
import { fetchPaid } from './fetch-paid'
import { priceOf } from './price-of'
import { wallet } from './wallet'

const UNITS =
  'in units: 1 unit = 1/10,000 of the currency major unit, so 500 = $0.05 and 10000 = $1.00'

const maxPrice = z
  .number()
  .int()
  .nonnegative()
  .optional()
  .describe(`The most this call may cost, ${UNITS}. Over it, nothing is paid and the tool says so.`)

export const fetchPaidInput = {
  url: z.string().describe('Absolute URL to fetch (https://…).'),
  method: z.string().optional().describe('HTTP method; default GET, or POST when a body is given.'),
  headers: z.record(z.string(), z.string()).optional().describe('Request headers.'),
  body: z.string().optional().describe('Request body, as text (JSON as a string).'),
  maxPrice,
}

export const priceOfInput = {
  url: z.string().describe('Absolute URL whose price to look up (https://…).'),
  method: z.string().optional().describe('HTTP method of the call to price; default GET.'),
}

export const walletInput = {}

export const callPaidToolInput = {
  server: z.string().describe('The MCP server: its Streamable HTTP endpoint URL (https://…/mcp).'),
  tool: z.string().describe('Name of the tool to call.'),
  arguments: z.record(z.string(), z.unknown()).optional().describe("The tool's arguments."),
  maxPrice,
}

export interface AgentToolDefinition<Shape extends z.ZodRawShape> {
  name: string
  description: string
  input: Shape
  run(agent: PayingAgent, input: z.infer<z.ZodObject<Shape>>): Promise<ToolAnswer>
}

const define = <Shape extends z.ZodRawShape>(tool: AgentToolDefinition<Shape>) => tool

export const AGENT_TOOLS = {
  fetch_paid: define({
    name: 'fetch_paid',
    description: `Fetches a URL and, when it is a stripe402 paid API (HTTP 402), pays its price from the user's card within the user's budget, then returns the response and what it cost. Prices are ${UNITS}. Set maxPrice to cap this call; check a price first with price_of.`,
    input: fetchPaidInput,
    run: fetchPaid,
  }),
  price_of: define({
    name: 'price_of',
    description: `Tells what a URL costs with stripe402 (price per call and card top-up size, ${UNITS}), from the server's price list or its 402 challenge, without paying anything.`,
    input: priceOfInput,
    run: priceOf,
  }),
  wallet: define({
    name: 'wallet',
    description:
      'Shows what was charged to the card today, this month and in all, what the budgets leave, and the prepaid credits left at each server.',
    input: walletInput,
    run: (agent) => wallet(agent),
  }),
  call_paid_tool: define({
    name: 'call_paid_tool',
    description: `Calls a tool of another MCP server (Streamable HTTP) and pays its stripe402 price from the user's card within the user's budget; returns the tool's result and what it cost. Prices are ${UNITS}.`,
    input: callPaidToolInput,
    run: callPaidTool,
  }),
} as const

export type AgentToolName = keyof typeof AGENT_TOOLS
