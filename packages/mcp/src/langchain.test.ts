// The LangChain.js tools, through their own invoke path (no model): input checked, paid, explained.
import { ToolMessage } from '@langchain/core/messages'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type RunningApi, startPaidApi } from '../test/servers'
import { CARDS, succeeded, useEmulator } from '../test/stack'
import { createPayingAgent } from './agent/agent'
import { stripe402Tools } from './langchain'

const stack = useEmulator()
let api: RunningApi
beforeEach(async () => {
  api = await startPaidApi(stack.emulator)
})
afterEach(async () => {
  await api.close()
})

describe('stripe402Tools for LangChain.js', () => {
  it('pays with fetch_paid: words for the model, facts as the artifact', async () => {
    const agent = createPayingAgent({ card: CARDS.visa, stripeApiBase: stack.emulator.url })
    const tools = stripe402Tools(agent)
    expect(tools.map((t) => t.name).sort()).toEqual([
      'call_paid_tool',
      'fetch_paid',
      'price_of',
      'wallet',
    ])
    const fetchPaid = tools.find((t) => t.name === 'fetch_paid')
    if (!fetchPaid) throw new Error('no fetch_paid')
    const url = `${api.url}/api/joke`

    const message = await fetchPaid.invoke({
      type: 'tool_call',
      id: 'call-1',
      name: 'fetch_paid',
      args: { url },
    })
    expect(message).toBeInstanceOf(ToolMessage)
    expect(message.content).toContain('Paid $0.05 (500 units) from prepaid credits')
    expect(message.artifact).toMatchObject({
      isError: false,
      status: 200,
      payment: { outcome: 'paid', amount: 500, charged: 50_000 },
    })

    const text = await fetchPaid.invoke({ url, maxPrice: 100 })
    expect(text).toMatch(/^Not paid \(price_above_max\)/)
    expect(succeeded(stack.emulator)).toHaveLength(1)
  })

  it('refuses input its schema does not allow, before anything is sent', async () => {
    const agent = createPayingAgent({ card: CARDS.visa, stripeApiBase: stack.emulator.url })
    const [fetchPaid] = stripe402Tools(agent, { only: ['fetch_paid'] })
    await expect(fetchPaid?.invoke({ url: `${api.url}/api/joke`, maxPrice: -1 })).rejects.toThrow()
    expect(stack.emulator.charges()).toHaveLength(0)
  })
})
