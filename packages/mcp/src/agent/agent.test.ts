// The paying agent in process: what a model is told when paying fails, and paid MCP tools from code.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { type RunningApi, startPaidApi } from '../../test/servers'
import { CARDS, paywallFor, succeeded, useEmulator } from '../../test/stack'
import { paidTool, toolRoutes } from '../operator/paid-tool'
import { fetchPaid } from '../tools/fetch-paid'
import { priceOf } from '../tools/price-of'
import { createPayingAgent } from './agent'

const stack = useEmulator()
let api: RunningApi

beforeEach(async () => {
  api = await startPaidApi(stack.emulator)
})
afterEach(async () => {
  await api.close()
})

describe('refusals a model can act on', () => {
  it('a declined card: nothing charged, and retrying will not help', async () => {
    const agent = createPayingAgent({ card: CARDS.declined, stripeApiBase: stack.emulator.url })
    const answer = await fetchPaid(agent, { url: `${api.url}/api/joke` })
    expect(answer.isError).toBe(true)
    expect(answer.text).toMatch(/^Not paid \(card_declined\): The card was declined\./)
    expect(answer.text).toContain('Retrying will not help')
    expect(answer.text).toContain('$0.05 (500 units)')
    expect(succeeded(stack.emulator)).toHaveLength(0)
  })

  it('a 402 without a stripe402 challenge: not a stripe402 server', async () => {
    const other = createServer((_req, res) => res.writeHead(402).end('pay me'))
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(other.address() as AddressInfo).port}/x`
    try {
      const agent = createPayingAgent({ card: CARDS.visa, stripeApiBase: stack.emulator.url })
      const fetched = await fetchPaid(agent, { url })
      expect(fetched).toMatchObject({ isError: true, data: { status: 402 } })
      expect(fetched.text).toContain('not a stripe402 server')
      const priced = await priceOf(agent, { url })
      expect(priced.isError).toBe(true)
      expect(priced.text).toContain('not a stripe402 server')
    } finally {
      other.close()
    }
  })

  it('a top-up whose charge Stripe never confirmed is told as such, and a retry charges once', async () => {
    const agent = createPayingAgent({ card: CARDS.visa, stripeApiBase: stack.emulator.url })
    // Stripe charges, and its answer to the server is lost (twice: the SDK's retry too).
    stack.emulator.inject({
      method: 'POST',
      path: '/v1/payment_intents',
      afterResponse: true,
      drop: true,
      times: 2,
    })
    const lost = await fetchPaid(agent, { url: `${api.url}/api/joke` })
    expect(lost.text, JSON.stringify(lost.data)).toMatch(/never said whether the card was charged/)
    expect(lost.data).toMatchObject({ payment: { unconfirmed: 50_000 } })
    expect(JSON.stringify(lost.data)).not.toMatch(/"charged"/)
    const { wallet } = await import('../tools/wallet')
    expect((await wallet(agent)).text).toMatch(/unconfirmed/)
    // The retry replays that top-up: one charge, and now it is confirmed.
    const again = await fetchPaid(agent, { url: `${api.url}/api/joke` })
    expect(again.isError).toBe(false)
    expect(succeeded(stack.emulator)).toHaveLength(1)
  })

  it('never sends a POST just to learn its price', async () => {
    const agent = createPayingAgent({ card: CARDS.visa, stripeApiBase: stack.emulator.url })
    const answer = await priceOf(agent, { url: `${api.url}/unlisted`, method: 'POST' })
    // The price list lists every paid route: an unlisted one is free, and nothing was sent.
    expect(answer).toMatchObject({ isError: false, data: { priced: false, source: 'price list' } })
  })
})

describe('paid MCP tools from code', () => {
  it('pays a tool of a server reached over any transport, under the origin its operator names', async () => {
    const origin = 'https://weather.local'
    const paywall = paywallFor(
      stack.emulator,
      toolRoutes({ forecast: { amount: 700, minTopUp: 50_000 } }),
      [origin],
    )
    const server = new McpServer({ name: 'weather', version: '1.0.0' })
    paidTool(server, paywall, 'forecast', { inputSchema: { city: z.string() } }, async (args) => ({
      content: [{ type: 'text', text: `${args.city}: sunny` }],
    }))
    const [serverSide, clientSide] = InMemoryTransport.createLinkedPair()
    await server.connect(serverSide)
    const client = new Client({ name: 'agent', version: '1.0.0' })
    await client.connect(clientSide)

    const agent = createPayingAgent({
      card: CARDS.visa,
      stripeApiBase: stack.emulator.url,
      mcpServers: { [origin]: client },
    })
    const first = await agent.callTool(origin, 'forecast', { city: 'Paris' })
    expect(first.status).toBe(200)
    expect(first.result?.content).toEqual([{ type: 'text', text: 'Paris: sunny' }])
    expect(first.payment).toMatchObject({ outcome: 'paid', amount: 700, creditsRemaining: 49_300 })
    const capped = await agent.callTool(origin, 'forecast', { city: 'Oslo' }, { maxPrice: 500 })
    expect(capped.result).toBeUndefined()
    expect(capped.payment).toMatchObject({ outcome: 'refused', reason: 'price_above_max' })
    const second = await agent.callTool(origin, 'forecast', { city: 'Oslo' })
    expect(second.payment).toMatchObject({ outcome: 'paid', creditsRemaining: 48_600 })
    expect(succeeded(stack.emulator)).toHaveLength(1)
    expect((await agent.fetch.wallet()).origins).toMatchObject([
      { origin, currency: 'usd', creditsRemaining: 48_600, spent: 50_000, used: 1_400, calls: 2 },
    ])
    await client.close()
  })
})
