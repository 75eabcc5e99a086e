// The paying MCP server backed by a treasury handle (the recommended setup): the agent holds no card,
// pays within the treasury's caps and its tool's maxPrice, reads its account with `wallet`, and is
// refused on its next call once the admin revokes it. Driven by the SDK's own Client.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { createTreasury, SqliteStore } from '@stripe402/treasury'
import { afterAll, beforeEach, describe, expect, it } from 'vitest'
import { type RunningApi, startPaidApi } from '../../test/servers'
import { CARDS, succeeded, useEmulator } from '../../test/stack'
import { parseCli, UsageError } from '../cli/args'
import { createPayingAgent } from './agent'
import { createPayingMcpServer } from './server'

const ADMIN = 'admin-token-for-mcp-tests-0123456789'
const h = useEmulator()
let api: RunningApi
let treasuryUrl: string
let stop: () => Promise<void>
const logs: string[] = []

// After the emulator's reset for this test: the paid API's keys and the treasury's card are this test's.
beforeEach(async () => {
  await stop?.()
  await api?.close()
  api = await startPaidApi(h.emulator)
  const dir = mkdtempSync(join(tmpdir(), 'stripe402-mcp-treasury-'))
  const store = await SqliteStore.open(join(dir, 'treasury.sqlite'))
  const treasury = createTreasury({
    store,
    adminToken: ADMIN,
    card: CARDS.visa,
    stripeApiBase: h.emulator.url,
    logger: { warn: (m) => logs.push(m), error: (m) => logs.push(m) },
  })
  const server = await treasury.listen(0, '127.0.0.1')
  treasuryUrl = server.url
  let stopped = false
  stop = async () => {
    if (stopped) return
    stopped = true
    await server.close()
    treasury.close()
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  }
})
afterAll(async () => {
  await stop?.()
  await api?.close()
})

const admin = (path: string, body?: unknown) =>
  fetch(`${treasuryUrl}/v1/admin/${path}`, {
    method: body === undefined ? 'POST' : 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  })

async function agentWithHandle(caps: Record<string, number>) {
  const res = await admin('agents', {
    name: `agent ${Math.random().toString(36).slice(2, 8)}`,
    caps: { usd: caps },
    allowedOrigins: [api.url],
    allowPrivateNetwork: true,
  })
  expect(res.status).toBe(201)
  return (await res.json()) as { agent: { id: string }; handle: string }
}

async function connect(handle: string) {
  const agent = createPayingAgent({ treasury: { url: treasuryUrl, handle } })
  const [client, server] = InMemoryTransport.createLinkedPair()
  await createPayingMcpServer(agent).connect(server)
  const mcp = new Client({ name: 'test-host', version: '1.0.0' })
  await mcp.connect(client)
  const call = async (name: string, args: Record<string, unknown> = {}) =>
    (await mcp.callTool({ name, arguments: args })) as CallToolResult & {
      structuredContent?: Record<string, unknown>
    }
  const text = (result: CallToolResult) =>
    result.content.map((c) => (c.type === 'text' ? c.text : '')).join('')
  return { mcp, call, text }
}

describe('the paying MCP server through a treasury', () => {
  it('pays within the caps and maxPrice, reads the account, and stops when revoked', async () => {
    const { agent, handle } = await agentWithHandle({ perCall: 1_000, daily: 10_000 })
    const { call, text } = await connect(handle)

    const paid = await call('fetch_paid', { url: `${api.url}/api/joke` })
    expect(paid.isError, JSON.stringify(paid.structuredContent)).toBeFalsy()
    expect(text(paid)).toMatch(/Paid \$0\.05/)
    expect(paid.structuredContent?.payment).toMatchObject({
      outcome: 'paid',
      amount: 500,
      charged: 50_000,
    })
    // The treasury charged its card once; the agent never saw it.
    expect(succeeded(h.emulator)).toHaveLength(1)

    // A tool's maxPrice below the price: refused by the treasury before anything is paid.
    const capped = await call('fetch_paid', { url: `${api.url}/api/joke`, maxPrice: 100 })
    expect(capped.isError).toBe(true)
    expect(capped.structuredContent?.payment).toMatchObject({ outcome: 'refused' })

    const wallet = await call('wallet')
    expect(wallet.isError).toBeFalsy()
    expect(text(wallet)).toMatch(/treasury/)
    expect(wallet.structuredContent?.spent).toMatchObject({ usd: { daily: 500, total: 500 } })

    const tool = await call('call_paid_tool', { server: `${api.url}/mcp`, tool: 'x' })
    expect(tool.isError).toBe(true)
    expect(text(tool)).toMatch(/local card/)

    expect((await admin(`agents/${agent.id}/revoke`)).status).toBe(200)
    const revoked = await call('fetch_paid', { url: `${api.url}/api/joke` })
    expect(revoked.isError).toBe(true)
    expect(JSON.stringify(revoked.structuredContent)).toMatch(/revoked/)
    expect(succeeded(h.emulator)).toHaveLength(1)
    // The handle never reaches what the model reads.
    for (const result of [paid, capped, wallet, tool, revoked])
      expect(JSON.stringify(result)).not.toContain(handle)
  })

  it('is chosen on the command line with --treasury, the handle from the environment only', () => {
    const handle = 's402a_example_secret'
    const config = parseCli(['--treasury', 'http://127.0.0.1:8402'], {
      STRIPE402_TREASURY_HANDLE: handle,
    })
    expect(config.treasury).toEqual({ url: 'http://127.0.0.1:8402', handle })
    expect(config.card).toBeUndefined()
    expect(() => parseCli(['--treasury', 'http://127.0.0.1:8402'], {})).toThrow(UsageError)
    expect(() =>
      parseCli(['--treasury', 'ftp://x'], { STRIPE402_TREASURY_HANDLE: handle }),
    ).toThrow(/http\(s\)/)
  })
})
