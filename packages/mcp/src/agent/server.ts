/** `createPayingMcpServer`: an MCP server whose tools pay stripe402 APIs and paid MCP tools for the agent. */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import type { z } from 'zod'
import type { ToolAnswer } from '../tools/answer'
import { AGENT_TOOLS, type AgentToolDefinition, type AgentToolName } from '../tools/definitions'
import type { PayingAgent } from './agent'

export interface PayingMcpServerOptions {
  /** Server name and version announced to hosts; default `stripe402` and this package's version. */
  name?: string
  version?: string
  /** Which tools to offer; default all of `fetch_paid`, `price_of`, `wallet`, `call_paid_tool`. */
  tools?: readonly AgentToolName[]
}

export function createPayingMcpServer(
  agent: PayingAgent,
  options: PayingMcpServerOptions = {},
): McpServer {
  const server = new McpServer({
    name: options.name ?? 'stripe402',
    version: options.version ?? '0.1.0',
  })
  const names = options.tools ?? (Object.keys(AGENT_TOOLS) as AgentToolName[])
  for (const name of names) {
    const tool = AGENT_TOOLS[name] as unknown as AgentToolDefinition<z.ZodRawShape>
    server.registerTool(
      tool.name,
      { description: tool.description, inputSchema: tool.input },
      async (input) => toResult(await tool.run(agent, input)),
    )
  }
  return server
}

/** A ToolAnswer as an MCP tool result: the words as text content, the facts as structured content. */
export function toResult(answer: ToolAnswer): CallToolResult {
  return {
    content: [{ type: 'text', text: answer.text }],
    structuredContent: answer.data,
    ...(answer.isError && { isError: true }),
  }
}
