/**
 * The treasury's demo: two agents on one treasury and one card. The scout runs into its daily cap
 * and stops; the analyst is revoked mid-run; the summary prints the dashboard's numbers.
 * Run: pnpm --filter @stripe402/treasury demo (everything local: the Stripe emulator, a paid API).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { paywallMiddleware } from '@stripe402/express'
import { formatUnits } from '@stripe402/protocol'
import { createPaywall, MemoryLedger } from '@stripe402/server'
import { startStripeEmulator } from '@stripe402/stripe-emulator'
import express from 'express'
import type { AccountsView } from '../src/admin/report'
import { createTreasuryFetch, getTreasuryInfo } from '../src/client'
import { SqliteStore } from '../src/store/sqlite'
import { createTreasury } from '../src/treasury'

const ADMIN_TOKEN = 'demo-admin-token-not-for-production'
const usd = (units: number) => formatUnits(units, 'usd')

export interface DemoResult {
  /** What each agent got, call by call: `paid`, or the reason it stopped. */
  runs: Record<string, string[]>
  accounts: AccountsView
}

export async function runDemo(print: (line: string) => void = console.log): Promise<DemoResult> {
  const dir = mkdtempSync(join(tmpdir(), 'treasury-demo-'))
  const emulator = await startStripeEmulator({ port: 0 })
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const paywall = createPaywall({
    stripe: { ...emulator.keys(), apiBase: emulator.url, maxNetworkRetries: 0 },
    secret: 'treasury-demo-secret-0123456789',
    ledger: new MemoryLedger(),
    routes: { 'GET /api/forecast': { amount: 500, minTopUp: 50_000 } },
    origins: [api],
    logger: { warn: () => {}, error: () => {} },
  })
  const app = express()
  app.use(paywallMiddleware(paywall))
  app.get('/api/forecast', (_req, res) => void res.json({ forecast: 'sunny' }))
  server.on('request', app)

  const store = await SqliteStore.open(join(dir, 'treasury.db'))
  const treasury = createTreasury({
    store,
    adminToken: ADMIN_TOKEN,
    card: { number: '4242424242424242', exp_month: 12, exp_year: 2034, cvc: '123' },
    stripeApiBase: emulator.url,
  })
  const listening = await treasury.listen(0)
  const admin = async <T>(path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${listening.url}/v1/admin/${path}`, {
      method: body === undefined && !path.endsWith('/revoke') ? 'GET' : 'POST',
      headers: {
        authorization: `Bearer ${ADMIN_TOKEN}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    })
    return (await res.json()) as T
  }
  const create = (name: string, daily: number) =>
    admin<{ agent: { id: string }; handle: string }>('agents', {
      name,
      caps: { usd: { perCall: 1_000, daily } },
      allowedOrigins: [api],
      allowPrivateNetwork: true, // the demo API is on 127.0.0.1
    })

  try {
    print(
      `Treasury on ${listening.url} (dashboard: ${listening.url}/dashboard), paid API on ${api}`,
    )
    const scout = await create('scout', 2_000)
    const analyst = await create('analyst', 10_000)
    print(`Two agents, one card: scout may spend ${usd(2_000)} a day, analyst ${usd(10_000)}.`)
    const runs: Record<string, string[]> = { scout: [], analyst: [] }
    const agents = [
      { name: 'scout', handle: scout.handle, id: scout.agent.id },
      { name: 'analyst', handle: analyst.handle, id: analyst.agent.id },
    ]
    for (let round = 1; round <= 6; round++) {
      if (round === 4) {
        await admin(`agents/${analyst.agent.id}/revoke`)
        print('  admin: analyst revoked')
      }
      for (const agent of agents) {
        const log = runs[agent.name] as string[]
        if (log.at(-1) !== undefined && log.at(-1) !== 'paid') continue
        const pay = createTreasuryFetch({ url: listening.url, handle: agent.handle })
        const res = await pay(`${api}/api/forecast`)
        await res.arrayBuffer()
        const info = getTreasuryInfo(res)
        const outcome = res.ok ? 'paid' : (info?.reason ?? `http_${res.status}`)
        log.push(outcome)
        print(
          res.ok
            ? `  ${agent.name}: call ${round} paid ${usd(info?.cost ?? 0)}, ${usd(info?.remaining ?? 0)} left today`
            : `  ${agent.name}: call ${round} refused (${outcome}); it stops`,
        )
      }
    }
    const accounts = await admin<AccountsView>('accounts')
    print('')
    print(
      `Card charged ${usd(accounts.charged.usd ?? 0)} = agents spent ${usd(accounts.spent.usd ?? 0)} + credits held ${usd(accounts.creditsHeld.usd ?? 0)}${accounts.balanced ? '' : ' (does not add up)'}`,
    )
    for (const agent of agents) {
      const { agent: view } = await admin<{
        agent: { status: string; spent: { usd?: { daily: number } } }
      }>(`agents/${agent.id}`)
      print(`  ${agent.name}: ${view.status}, spent ${usd(view.spent.usd?.daily ?? 0)} today`)
    }
    return { runs, accounts }
  } finally {
    treasury.close()
    await listening.close()
    await store.close()
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
    await emulator.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

if (process.argv[1]?.endsWith('two-agents.ts')) await runDemo()
