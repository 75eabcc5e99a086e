/**
 * @stripe402/mcp/langchain: the paying agent's tools for LangChain.js (`tool()` of
 * `@langchain/core/tools`), for agents that call models through it rather than MCP.
 */
import { type DynamicStructuredTool, tool } from '@langchain/core/tools'
import { z } from 'zod'
import type { PayingAgent } from './agent/agent'
import { AGENT_TOOLS, type AgentToolDefinition, type AgentToolName } from './tools/definitions'

export type { ToolAnswer } from './tools/answer'

/**
 * `fetch_paid`, `price_of`, `wallet`, `call_paid_tool` (or the `only` ones) as LangChain tools.
 * The model reads the answer's text; the facts travel as the message's artifact.
 */
export function stripe402Tools(
  agent: PayingAgent,
  options: { only?: readonly AgentToolName[] } = {},
): DynamicStructuredTool[] {
  const names = options.only ?? (Object.keys(AGENT_TOOLS) as AgentToolName[])
  return names.map((name) => {
    const definition = AGENT_TOOLS[name] as unknown as AgentToolDefinition<z.ZodRawShape>
    return tool(
      async (input: Record<string, unknown>) => {
        const answer = await definition.run(agent, input)
        return [answer.text, { isError: answer.isError, ...answer.data }] as [string, unknown]
      },
      {
        name: definition.name,
        description: definition.description,
        schema: z.object(definition.input),
        responseFormat: 'content_and_artifact',
      },
    ) as unknown as DynamicStructuredTool
  })
}
