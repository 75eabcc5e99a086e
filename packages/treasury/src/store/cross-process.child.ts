// Test-only child process: makes CALLS concurrent calls for one agent on a shared store, each
// spending all it was allowed to hold, and prints what it held as one JSON line.
import { randomUUID } from 'node:crypto'
import { PostgresStore } from './postgres'
import { SqliteStore } from './sqlite'
import type { TreasuryStore } from './types'

const target = JSON.parse(process.env.TREASURY_STORE ?? '{}') as
  | { kind: 'sqlite'; file: string }
  | { kind: 'postgres'; url: string; schema: string }
const agentId = process.env.AGENT_ID ?? ''
const calls = Number(process.env.CALLS)
const startAt = Number(process.env.START_AT)

const store: TreasuryStore =
  target.kind === 'sqlite'
    ? await SqliteStore.open(target.file)
    : await PostgresStore.connect(target.url, { schema: target.schema, max: 4 })

// Every process starts at the same moment, so their reservations really overlap.
await new Promise((resolve) => setTimeout(resolve, Math.max(0, startAt - Date.now())))
const held = await Promise.all(
  Array.from({ length: calls }, async () => {
    const callId = randomUUID()
    const at = Date.now()
    const reserved = await store.reserve({
      agentId,
      callId,
      at,
      method: 'GET',
      origin: 'https://api.example.com',
      route: 'GET /joke',
    })
    if (!reserved.ok) throw new Error(reserved.reason)
    const units = reserved.held.usd ?? 0
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 10))
    await store.settle(callId, {
      at: Date.now(),
      status: 200,
      outcome: units > 0 ? 'paid' : 'refused',
      cost: units > 0 ? { usd: units } : {},
      topUps: [],
    })
    return units
  }),
)
await store.close()
process.stdout.write(`${JSON.stringify({ held })}\n`)
