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
