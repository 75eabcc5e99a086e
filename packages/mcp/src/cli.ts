/** The `stripe402-mcp` command: the paying MCP server over stdio or Streamable HTTP. Node only. */
import { realpathSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'
import { createFileStore } from '@stripe402/client/file-store'
import { createPayingAgent } from './agent/agent'
import { createPayingMcpServer } from './agent/server'
import { parseCli, USAGE, UsageError } from './cli/args'
import { serveMcpHttp } from './http/serve'

/** Starts the server; resolves once it serves. Messages go to stderr: stdout is the MCP channel. */
export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stderr.write(`${USAGE}\n`)
    return 0
  }
  let config: ReturnType<typeof parseCli>
  try {
    config = parseCli(argv, env)
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    process.stderr.write(`stripe402-mcp: ${error.message}\n`)
    return 1
  }
  if (!config.treasury && !config.policy.budget) {
    process.stderr.write(
      'stripe402-mcp: no --budget-daily, --budget-monthly or --budget-total: the card is not capped.\n',
    )
  }
  const agent = createPayingAgent({
    ...(config.treasury ? { treasury: config.treasury } : { card: config.card }),
    policy: config.policy,
    store: createFileStore(config.wallet ?? join(homedir(), '.stripe402', 'wallet.json')),
    ...(config.stripeApi !== undefined && { stripeApiBase: config.stripeApi }),
    ...(config.allowInsecureHttp && { allowInsecureHttp: true }),
  })
  const serverOptions = config.tools ? { tools: config.tools } : {}
  if (config.http) {
    const running = await serveMcpHttp(() => createPayingMcpServer(agent, serverOptions), {
      port: config.http.port,
      host: config.http.host,
      ...(config.http.token !== undefined && { token: config.http.token }),
    })
    process.stderr.write(`stripe402-mcp: serving MCP at ${running.url}\n`)
    const stop = () => void running.close().then(() => agent.close())
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
    return 0
  }
  await createPayingMcpServer(agent, serverOptions).connect(new StdioServerTransport())
  return 0
}

/** Runs the command line of this process (what bin/stripe402-mcp.js calls). */
export async function run(): Promise<void> {
  const code = await main(process.argv.slice(2), process.env)
  if (code !== 0) process.exitCode = code
}

// Executed directly (`tsx src/cli.ts`, `node dist/cli.js`) rather than imported: run.
// No import.meta here, because this module is also built as CommonJS.
if (isEntry(process.argv[1])) void run()

function isEntry(path: string | undefined): boolean {
  if (!path) return false
  try {
    return /[\\/]cli\.(ts|js|mjs|cjs)$/.test(realpathSync(path))
  } catch {
    return false
  }
}
