/** `stripe402-treasury agent create | revoke`: through the Admin API of a running treasury. */
import { parseArgs } from 'node:util'
import type { AgentView } from '../admin/agents'
import { adminClient } from './admin-client'
import { type Io, UsageError, unitsArg } from './io'

export const AGENT_USAGE = `Usage: stripe402-treasury agent create <name> --origin URL [options]
       stripe402-treasury agent revoke <name or id>

create prints the agent's handle on stdout, once: give it to the agent (it is never shown again).
Amounts are in units: 1 unit = 1/10,000 of the major currency unit (500 = $0.05).

      --origin URL             an origin the agent may call (repeatable; https://*.example.com allowed)
      --per-call N             the most one call may cost
      --daily N                the most per UTC day
      --monthly N              the most per UTC month
      --total N                the most ever
      --currency C             the currency of the caps (default usd)
      --expires WHEN           ISO 8601 date-time after which the handle is refused
      --allow-private-network  let it reach loopback and private addresses
      --url URL                the treasury (default $STRIPE402_TREASURY_URL or http://127.0.0.1:8402)

The admin token comes from STRIPE402_TREASURY_ADMIN_TOKEN.`

export async function agentCommand(argv: string[], io: Io): Promise<number> {
  const [sub, ...rest] = argv
  if (sub === 'create') return create(rest, io)
  if (sub === 'revoke') return revoke(rest, io)
  throw new UsageError(`stripe402-treasury agent takes create or revoke.\n\n${AGENT_USAGE}`)
}

async function create(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      origin: { type: 'string', multiple: true },
      'per-call': { type: 'string' },
      daily: { type: 'string' },
      monthly: { type: 'string' },
      total: { type: 'string' },
      currency: { type: 'string' },
      expires: { type: 'string' },
      'allow-private-network': { type: 'boolean' },
      url: { type: 'string' },
    },
  })
  if (positionals.length !== 1) throw new UsageError('agent create takes exactly one name.')
  const caps: Record<string, number> = {}
  for (const [flag, key] of [
    ['per-call', 'perCall'],
    ['daily', 'daily'],
    ['monthly', 'monthly'],
    ['total', 'total'],
  ] as const) {
    const units = unitsArg(flag, values[flag])
    if (units !== undefined) caps[key] = units
  }
  if (Object.keys(caps).length === 0)
    throw new UsageError('Give at least one cap: --per-call, --daily, --monthly or --total.')
  if (!values.origin?.length)
    throw new UsageError('Give at least one --origin: there is no allow-all.')
  const currency = values.currency ?? 'usd'
  const client = adminClient(values.url, io)
  const created = await client.request<{ agent: AgentView; handle: string }>('POST', 'agents', {
    name: positionals[0],
    caps: { [currency]: caps },
    allowedOrigins: values.origin,
    ...(values.expires !== undefined ? { expiresAt: values.expires } : {}),
    ...(values['allow-private-network'] ? { allowPrivateNetwork: true } : {}),
  })
  io.stdout.write(`${created.handle}\n`)
  io.stderr.write(
    `Created agent ${created.agent.name} (${created.agent.id}). The handle above is shown once: give it to the agent as STRIPE402_TREASURY_HANDLE.\n`,
  )
  return 0
}

async function revoke(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { url: { type: 'string' } },
  })
  if (positionals.length !== 1) throw new UsageError('agent revoke takes exactly one name or id.')
  const ref = encodeURIComponent(positionals[0] as string)
  const { agent } = await adminClient(values.url, io).request<{ agent: AgentView }>(
    'POST',
    `agents/${ref}/revoke`,
  )
  io.stdout.write(`Revoked ${agent.name} (${agent.id}): its next request is refused.\n`)
  return 0
}
