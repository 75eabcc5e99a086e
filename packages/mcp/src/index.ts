/** @stripe402/mcp: stripe402 over MCP. Paid MCP tools for operators, an MCP server that pays for agents. */
export { META, toolPath, toolRoute } from './binding/names'
export { paymentHeaderOf, readChallenge, readPayment, readReceipt } from './binding/read'
export {
  type PaidToolConfig,
  type PaidToolOptions,
  paidTool,
  type ToolExtra,
  toolRoutes,
} from './operator/paid-tool'
export {
  createPayingAgent,
  type PaidToolCall,
  type PayingAgent,
  type PayingAgentOptions,
} from './agent/agent'
export { mcpToolFetch, type McpClientFor, toolCallUrl } from './agent/mcp-fetch'
export {
  createPayingMcpServer,
  type PayingMcpServerOptions,
  toResult,
} from './agent/server'
export type { ToolAnswer } from './tools/answer'
export {
  AGENT_TOOLS,
  type AgentToolDefinition,
  type AgentToolName,
} from './tools/definitions'
export type { CallPaidToolInput } from './tools/call-paid-tool'
export type { FetchPaidInput } from './tools/fetch-paid'
export type { PriceOfInput } from './tools/price-of'
export { type RunningMcpHttp, type ServeMcpHttpOptions, serveMcpHttp } from './http/serve'
