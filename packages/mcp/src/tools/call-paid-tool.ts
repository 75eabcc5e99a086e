/** `call_paid_tool`: calls a tool of another MCP server and pays its stripe402 price (spec §16). */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import type { PayingAgent } from '../agent/agent'
import { META } from '../binding/names'
import { messageOf, type ToolAnswer } from './answer'
import { explainPayment } from './explain'
import { costSentence, summarize } from './payment-summary'

export interface CallPaidToolInput {
  /** The Streamable HTTP endpoint of the MCP server (https://…/mcp), or an origin configured for it. */
  server: string
  tool: string
  arguments?: Record<string, unknown>
  /** The most this call may cost, in units. */
  maxPrice?: number
}

export async function callPaidTool(
  agent: PayingAgent,
  input: CallPaidToolInput,
): Promise<ToolAnswer> {
  let call: Awaited<ReturnType<PayingAgent['callTool']>>
  try {
    call = await agent.callTool(input.server, input.tool, input.arguments, {
      ...(input.maxPrice !== undefined && { maxPrice: input.maxPrice }),
    })
  } catch (error) {
    return {
      isError: true,
      text: `The tool ${input.tool} of ${input.server} could not be called: ${messageOf(error)}. Nothing was paid.`,
      data: { server: input.server, tool: input.tool, error: messageOf(error) },
    }
  }
  const { payment: info } = call
  const result = call.result && withoutReceipt(call.result)
  const payment = summarize(info)
  const data = { server: input.server, tool: input.tool, status: call.status, payment, result }
  if (info && (info.outcome === 'refused' || info.outcome === 'failed')) {
    return { isError: true, text: explainPayment(info), data }
  }
  if (!result) {
    return {
      isError: true,
      text: `The tool ${input.tool} was not run (status ${call.status}). Nothing was paid.`,
      data,
    }
  }
  const texts = result.content
    .map((item) => (item.type === 'text' ? item.text : `[${item.type} content]`))
    .join('\n')
  if (result.isError) {
    return {
      isError: true,
      text: `The tool ${input.tool} failed${info?.currency ? ', and its price was given back' : ''}: ${texts}`,
      data,
    }
  }
  return { isError: false, text: `${costSentence(info)}\n\n${texts}`, data }
}

/** The receipt names the credential, a bearer secret: it stays out of what a model reads. */
function withoutReceipt(result: CallToolResult): CallToolResult {
  if (!result._meta || !Object.hasOwn(result._meta, META.PAYMENT_RESPONSE)) return result
  const { [META.PAYMENT_RESPONSE]: _receipt, ...meta } = result._meta
  return { ...result, _meta: meta }
}
