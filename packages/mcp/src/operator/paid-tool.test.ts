// Paid MCP tools on the stripe402 engine, called with the SDK's own Client and raw _meta (spec §16).
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import type { Paywall } from '@stripe402/server'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { paywallFor, succeeded, useEmulator } from '../../test/stack'
import { META } from '../binding/names'
import { readChallenge, readReceipt } from '../binding/read'
import { paidTool, toolRoutes } from './paid-tool'

const ORIGIN = 'https://tools.example.test'
const stack = useEmulator()
let paywall: Paywall
let client: Client
let runs: Record<string, number>

beforeEach(async () => {
  runs = {}
  const ran = (name: string) => {
    runs[name] = (runs[name] ?? 0) + 1
  }
  paywall = paywallFor(
    stack.emulator,
    toolRoutes({
      forecast: { amount: 500, minTopUp: 50_000, description: 'Forecast' },
      broken: { amount: 500, minTopUp: 50_000 },
      refusing: { amount: 500, minTopUp: 50_000 },
      // Priced from the tool's arguments.
      report: {
        amount: ({ parsedQuery }: { parsedQuery: Readonly<Record<string, unknown>> }) =>
          Number(parsedQuery.pages) * 100,
        minTopUp: 50_000,
      },
    }),
    [ORIGIN],
  )
  const server = new McpServer({ name: 'weather', version: '1.0.0' })
  paidTool(
    server,
    paywall,
    'forecast',
    { description: 'Weather forecast', inputSchema: { city: z.string() } },
    async ({ city }) => {
      ran('forecast')
      return { content: [{ type: 'text', text: `${city}: sunny` }] }
    },
  )
  paidTool(server, paywall, 'broken', {}, async () => {
    ran('broken')
    throw new Error('upstream down')
  })
  paidTool(server, paywall, 'refusing', {}, async () => {
    ran('refusing')
    return { content: [{ type: 'text', text: 'no such city' }], isError: true }
  })
  paidTool(server, paywall, 'report', { inputSchema: { pages: z.number() } }, async () => {
    ran('report')
    return { content: [{ type: 'text', text: 'report' }] }
  })
  const [serverSide, clientSide] = InMemoryTransport.createLinkedPair()
  await server.connect(serverSide)
  client = new Client({ name: 'test', version: '1.0.0' })
  await client.connect(clientSide)
})

afterEach(async () => {
  await client.close()
})

const call = (name: string, args: Record<string, unknown>, payment?: unknown) =>
  client.callTool({
    name,
    arguments: args,
    ...(payment !== undefined && { _meta: { [META.PAYMENT]: payment } }),
  }) as Promise<CallToolResult>

const visa = { stripe402Version: 1, paymentMethodId: 'pm_card_visa' }

/** Pays a first call with the magic visa PaymentMethod and returns the credential. */
async function fund(): Promise<string> {
  const paid = await call('forecast', { city: 'Paris' }, visa)
  const receipt = readReceipt(paid)
  expect(receipt).toMatchObject({ success: true, creditsRemaining: 49_500 })
  return receipt?.clientId as string
}

describe('paidTool', () => {
  it('answers an unpaid call with a challenge result and does not run the tool', async () => {
    const result = await call('forecast', { city: 'Paris' })
    expect(result.isError).toBe(true)
    const challenge = readChallenge(result)
    expect(challenge).toMatchObject({
      resource: { url: '/mcp/tools/forecast' },
      accepts: [{ scheme: 'stripe', currency: 'usd', amount: 500, minTopUp: 50_000 }],
    })
    expect(challenge?.extensions).toContain('originBinding')
    expect(result.content[0]).toMatchObject({ type: 'text' })
    expect((result.content[0] as { text: string }).text).toContain('$0.05')
    expect(runs.forecast).toBeUndefined()
    expect(succeeded(stack.emulator)).toHaveLength(0)
  })

  it('charges a top-up once, then spends credits with the credential', async () => {
    const first = await call('forecast', { city: 'Paris' }, visa)
    expect(first.isError).toBeUndefined()
    expect(first.content).toEqual([{ type: 'text', text: 'Paris: sunny' }])
    const receipt = readReceipt(first)
    expect(receipt).toMatchObject({ success: true, creditsRemaining: 49_500, amountCharged: 500 })
    expect(receipt?.chargeId).toMatch(/^pi_/)

    const second = await call(
      'forecast',
      { city: 'Oslo' },
      { stripe402Version: 1, clientId: receipt?.clientId, maxAmount: 500 },
    )
    expect(second.content).toEqual([{ type: 'text', text: 'Oslo: sunny' }])
    expect(readReceipt(second)).toMatchObject({ success: true, creditsRemaining: 49_000 })
    expect(readReceipt(second)?.chargeId).toBeUndefined()
    expect(succeeded(stack.emulator)).toHaveLength(1)
    expect(succeeded(stack.emulator)[0]).toMatchObject({ amount: 500, currency: 'usd' })
    expect(await paywall.balance(receipt?.clientId as string)).toBe(49_000)
    expect(runs.forecast).toBe(2)
  })

  it('gives the debit back when the tool throws, and says why with the receipt', async () => {
    const clientId = await fund()
    const result = await call('broken', {}, { stripe402Version: 1, clientId })
    expect(result.isError).toBe(true)
    expect(result.content).toEqual([{ type: 'text', text: 'upstream down' }])
    expect(readChallenge(result)).toBeUndefined()
    expect(readReceipt(result)).toMatchObject({ success: true, clientId })
    expect(runs.broken).toBe(1)
    expect(await paywall.balance(clientId)).toBe(49_500)
  })

  it('gives the debit back when the tool returns isError', async () => {
    const clientId = await fund()
    const result = await call('refusing', {}, { stripe402Version: 1, clientId })
    expect(result).toMatchObject({ isError: true, content: [{ text: 'no such city' }] })
    expect(runs.refusing).toBe(1)
    expect(await paywall.balance(clientId)).toBe(49_500)
  })

  it('prices a call from its arguments', async () => {
    const result = await call('report', { pages: 7 })
    expect(readChallenge(result)?.accepts[0]?.amount).toBe(700)
    const clientId = await fund()
    const paid = await call('report', { pages: 3 }, { stripe402Version: 1, clientId })
    expect(readReceipt(paid)).toMatchObject({ amountCharged: 300, creditsRemaining: 49_200 })
  })

  it('refuses a payment sent as base64 text, and runs nothing', async () => {
    const header = btoa(JSON.stringify(visa))
    const result = await call('forecast', { city: 'Paris' }, header)
    expect(readChallenge(result)).toMatchObject({ error: 'invalid_payment' })
    expect(runs.forecast).toBeUndefined()
    expect(succeeded(stack.emulator)).toHaveLength(0)
  })

  it('refuses a spent-out credential with insufficient_credits, without running the tool', async () => {
    const result = await call(
      'forecast',
      { city: 'Paris' },
      { stripe402Version: 1, clientId: 'c1_unknown' },
    )
    expect(readChallenge(result)?.error).toBe('insufficient_credits')
    expect(runs.forecast).toBeUndefined()
  })

  it('refuses to register a tool the paywall does not price', () => {
    const server = new McpServer({ name: 'x', version: '1.0.0' })
    expect(() => paidTool(server, paywall, 'unpriced', {}, async () => ({ content: [] }))).toThrow(
      /POST \/mcp\/tools\/unpriced/,
    )
  })
})
