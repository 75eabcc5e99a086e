// The AI SDK tools, through their own execute path (no model): they pay, cap and explain as the MCP tools do.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type RunningApi, startPaidApi } from '../test/servers'
import { CARDS, succeeded, useEmulator } from '../test/stack'
import { createPayingAgent } from './agent/agent'
import { stripe402Tools } from './ai'

const stack = useEmulator()
let api: RunningApi
beforeEach(async () => {
  api = await startPaidApi(stack.emulator)
})
afterEach(async () => {
  await api.close()
})

const options = (id: string) => ({ toolCallId: id, messages: [], context: {} })

describe('stripe402Tools for the Vercel AI SDK', () => {
  it('pays with fetch_paid, refuses over maxPrice, and shows the model words', async () => {
    const agent = createPayingAgent({ card: CARDS.visa, stripeApiBase: stack.emulator.url })
    const tools = stripe402Tools(agent)
    expect(Object.keys(tools).sort()).toEqual([
      'call_paid_tool',
      'fetch_paid',
      'price_of',
      'wallet',
    ])
    const fetchPaid = tools.fetch_paid
    if (!fetchPaid?.execute || !fetchPaid.toModelOutput)
      throw new Error('fetch_paid has no execute')

    const url = `${api.url}/api/joke`
    const paid = await fetchPaid.execute({ url }, options('1'))
    expect(paid).toMatchObject({
      isError: false,
      data: { status: 200, payment: { outcome: 'paid', amount: 500, charged: 50_000 } },
    })
    expect(
      await fetchPaid.toModelOutput({ toolCallId: '1', input: { url }, output: paid as never }),
    ).toEqual({ type: 'text', value: expect.stringContaining('A 402 walks into a bar.') })

    const capped = await fetchPaid.execute({ url, maxPrice: 100 }, options('2'))
    expect(capped).toMatchObject({ isError: true })
    expect(
      await fetchPaid.toModelOutput({ toolCallId: '2', input: { url }, output: capped as never }),
    ).toEqual({ type: 'error-text', value: expect.stringContaining('price_above_max') })

    const wallet = await tools.wallet?.execute?.({}, options('3'))
    expect(wallet).toMatchObject({ data: { origins: [{ creditsRemaining: 49_500, calls: 1 }] } })
    expect(succeeded(stack.emulator)).toHaveLength(1)
  })

  it('offers only the tools asked for', () => {
    const agent = createPayingAgent({ card: CARDS.visa })
    expect(Object.keys(stripe402Tools(agent, { only: ['price_of', 'wallet'] }))).toEqual([
      'price_of',
      'wallet',
    ])
  })
})
