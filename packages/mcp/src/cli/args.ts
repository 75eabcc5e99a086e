/** Parses `stripe402-mcp` arguments and environment into the agent's options and how to serve it. */
import { parseArgs } from 'node:util'
import type { Card, Policy } from '@stripe402/client'
import { AGENT_TOOLS, type AgentToolName } from '../tools/definitions'

export const USAGE = `Usage: stripe402-mcp [options]

An MCP server whose tools pay stripe402 APIs for an agent: fetch_paid, price_of, wallet and
call_paid_tool. With --treasury (recommended) it pays through a treasury with the agent's handle
in STRIPE402_TREASURY_HANDLE, and holds no card: the caps are the treasury's. Otherwise it pays
from the card in STRIPE402_CARD (number|mm|yyyy|cvc) within the limits below, and keeps
credentials and spend in a wallet file. Serves stdio unless --http is given.
Amounts are in units: 1 unit = 1/10,000 of the major currency unit (500 = $0.05).

      --treasury URL       pay through this treasury (or STRIPE402_TREASURY_URL)

      --max-amount N       highest price accepted per call (a tool's maxPrice can only lower it)
      --max-top-up N       largest single charge to the card
      --top-up N           preferred top-up size (default: the server's minimum)
      --budget-daily N     most charged to the card per UTC day
      --budget-monthly N   most charged per UTC month
      --budget-total N     most charged ever
      --budget-currency C  the currency budgets are in (default usd); others are refused
      --allow-origin O     only pay this origin (repeatable; https://*.example.com allowed)
      --wallet FILE        wallet file (default $STRIPE402_WALLET or ~/.stripe402/wallet.json)
      --stripe-api URL     Stripe API base (default https://api.stripe.com)
      --allow-insecure-http  send payments to plain-http origins too (local development only)
      --tools LIST         offer only these tools, comma-separated
      --http               serve Streamable HTTP instead of stdio
      --port N             HTTP port (default 3402)
      --host H             HTTP host (default 127.0.0.1); another host needs STRIPE402_MCP_TOKEN,
                           the bearer token every request must then carry`

export interface CliConfig {
  /** Undefined when paying through a treasury. */
  card: Card | undefined
  treasury: { url: string; handle: string } | undefined
  policy: Policy
  wallet: string | undefined
  stripeApi: string | undefined
  allowInsecureHttp: boolean
  tools: AgentToolName[] | undefined
  http: { port: number; host: string; token: string | undefined } | undefined
}

/** A mistake in how the server was started: printed, exit 1. Never quotes a card field. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

const OPTIONS = {
  treasury: { type: 'string' },
  'max-amount': { type: 'string' },
  'max-top-up': { type: 'string' },
  'top-up': { type: 'string' },
  'budget-daily': { type: 'string' },
  'budget-monthly': { type: 'string' },
  'budget-total': { type: 'string' },
  'budget-currency': { type: 'string' },
  'allow-origin': { type: 'string', multiple: true },
  wallet: { type: 'string' },
  'stripe-api': { type: 'string' },
  'allow-insecure-http': { type: 'boolean' },
  tools: { type: 'string' },
  http: { type: 'boolean' },
  port: { type: 'string' },
  host: { type: 'string' },
} as const

export function parseCli(argv: string[], env: NodeJS.ProcessEnv): CliConfig {
  let values: ReturnType<typeof parse>['values']
  try {
    values = parse(argv).values
  } catch (error) {
    throw new UsageError(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`)
  }
  const units = (name: keyof typeof OPTIONS): number | undefined => {
    const value = values[name]
    if (value === undefined) return undefined
    if (typeof value !== 'string' || !/^\d+$/.test(value))
      throw new UsageError(`--${name} must be a whole number of units (500 = $0.05).`)
    return Number(value)
  }
  const policy: Policy = {}
  const maxAmount = units('max-amount')
  const maxTopUp = units('max-top-up')
  const topUp = units('top-up')
  if (maxAmount !== undefined) policy.maxAmountPerRequest = maxAmount
  if (maxTopUp !== undefined) policy.maxTopUp = maxTopUp
  if (topUp !== undefined) policy.topUp = topUp
  const [daily, monthly, total] = [
    units('budget-daily'),
    units('budget-monthly'),
    units('budget-total'),
  ]
  const currency = values['budget-currency']
  if (currency !== undefined && !/^[a-z]{3}$/.test(currency))
    throw new UsageError('--budget-currency must be a currency code such as usd.')
  if (daily !== undefined || monthly !== undefined || total !== undefined) {
    policy.budget = {
      ...(daily !== undefined && { daily }),
      ...(monthly !== undefined && { monthly }),
      ...(total !== undefined && { total }),
      ...(currency !== undefined && { currency }),
    }
  }
  if (values['allow-origin']?.length) policy.allowOrigins = values['allow-origin']
  const tools = values.tools?.split(',').map((t) => t.trim())
  for (const tool of tools ?? []) {
    if (!Object.hasOwn(AGENT_TOOLS, tool))
      throw new UsageError(
        `--tools: unknown tool "${tool}"; the tools are ${Object.keys(AGENT_TOOLS).join(', ')}.`,
      )
  }
  const port = values.port === undefined ? 3402 : Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new UsageError('--port must be a port number.')
  const treasury = parseTreasury(values.treasury ?? env.STRIPE402_TREASURY_URL, env)
  return {
    card: treasury ? undefined : parseCard(env.STRIPE402_CARD),
    treasury,
    policy,
    wallet: values.wallet ?? env.STRIPE402_WALLET,
    stripeApi: values['stripe-api'],
    allowInsecureHttp: values['allow-insecure-http'] === true,
    tools: tools as AgentToolName[] | undefined,
    http: values.http
      ? { port, host: values.host ?? '127.0.0.1', token: env.STRIPE402_MCP_TOKEN || undefined }
      : undefined,
  }
}

function parse(argv: string[]) {
  return parseArgs({ args: argv, allowPositionals: false, strict: true, options: OPTIONS })
}

/** The treasury and the agent's handle, which only the environment carries (a flag shows in `ps`). */
function parseTreasury(
  url: string | undefined,
  env: NodeJS.ProcessEnv,
): { url: string; handle: string } | undefined {
  if (url === undefined || url === '') return undefined
  if (!/^https?:\/\/[^\s]+$/i.test(url))
    throw new UsageError("--treasury must be the treasury's http(s) URL.")
  const handle = env.STRIPE402_TREASURY_HANDLE
  if (!handle)
    throw new UsageError(
      'STRIPE402_TREASURY_HANDLE is not set: the agent handle (s402a_…) the treasury admin created for this agent.',
    )
  if (!/^s402a_\S+$/.test(handle))
    throw new UsageError('STRIPE402_TREASURY_HANDLE must be an agent handle (s402a_…).')
  return { url, handle }
}

/** STRIPE402_CARD is `number|mm|yyyy|cvc`; messages name the field at fault, never its value. */
function parseCard(value: string | undefined): Card {
  const example = 'e.g. STRIPE402_CARD=4242424242424242|12|2034|123'
  if (!value) throw new UsageError(`STRIPE402_CARD is not set: the card to pay with, ${example}.`)
  const [number = '', month = '', year = '', cvc = '', ...more] = value
    .split('|')
    .map((p) => p.trim())
  const bad = (problem: string) => new UsageError(`STRIPE402_CARD: ${problem}, ${example}.`)
  if (more.length > 0 || !cvc) throw bad('it must have 4 fields, number|mm|yyyy|cvc')
  if (!/^\d{12,19}$/.test(number.replace(/[\s-]/g, '')))
    throw bad('the card number must be 12 to 19 digits')
  if (!/^\d{1,2}$/.test(month) || Number(month) < 1 || Number(month) > 12)
    throw bad('the expiry month must be 1 to 12')
  if (!/^(\d{2}|\d{4})$/.test(year)) throw bad('the expiry year must be 2 or 4 digits')
  if (!/^\d{3,4}$/.test(cvc)) throw bad('the CVC must be 3 or 4 digits')
  return { number, exp_month: Number(month), exp_year: Number(year), cvc }
}
