/**
 * @stripe402/mcp/ai: the paying agent's tools for the Vercel AI SDK (`tool()` of `ai`), for agents
 * that call models through it rather than MCP. `generateText({ tools: stripe402Tools(agent) })`.
 */
import { type Tool, tool } from 'ai'
import { z } from 'zod'
import type { PayingAgent } from './agent/agent'
import type { ToolAnswer } from './tools/answer'
import { AGENT_TOOLS, type AgentToolDefinition, type AgentToolName } from './tools/definitions'

export type { ToolAnswer } from './tools/answer'

/**
 * `{ fetch_paid, price_of, wallet, call_paid_tool }` (or the `only` ones) as AI SDK tools. Each
 * executes to a ToolAnswer; the model is shown its `text`, as an error when it is one.
 */
export function stripe402Tools(
  agent: PayingAgent,
  options: { only?: readonly AgentToolName[] } = {},
): Record<string, Tool<Record<string, unknown>, ToolAnswer>> {
  const names = options.only ?? (Object.keys(AGENT_TOOLS) as AgentToolName[])
  const tools: Record<string, Tool<Record<string, unknown>, ToolAnswer>> = {}
  for (const name of names) {
    const definition = AGENT_TOOLS[name] as unknown as AgentToolDefinition<z.ZodRawShape>
    tools[name] = tool<Record<string, unknown>, ToolAnswer, Record<string, never>>({
      description: definition.description,
      inputSchema: z.object(definition.input),
      execute: (input) => definition.run(agent, input),
      toModelOutput: ({ output }) =>
        output.isError
          ? { type: 'error-text', value: output.text }
          : { type: 'text', value: output.text },
    })
  }
  return tools
}
