/** The `stripe402-treasury` command: serve the treasury, create and revoke agents, report spend. Node only. */
import { realpathSync } from 'node:fs'
import { AGENT_USAGE, agentCommand } from './cli/agent'
import { AdminApiError } from './cli/admin-client'
import { type Io, UsageError } from './cli/io'
import { REPORT_USAGE, reportCommand } from './cli/report'
import { SERVE_USAGE, serveCommand } from './cli/serve'

const USAGE = `Usage: stripe402-treasury <command>

  serve                          run the treasury (holds the card; agents pay through it)
  agent create <name> [options]  create an agent and print its handle, once
  agent revoke <name or id>      refuse the agent's next request, on every instance
  report [options]               spend per agent against its caps, and the accounts

Run "stripe402-treasury <command> --help" for the options of a command.`

export async function main(argv: string[], io: Io): Promise<number> {
  const [command, ...rest] = argv
  const help = rest.includes('--help') || rest.includes('-h')
  try {
    switch (command) {
      case 'serve':
        return help ? print(io, SERVE_USAGE) : await serveCommand(rest, io)
      case 'agent':
        return help ? print(io, AGENT_USAGE) : await agentCommand(rest, io)
      case 'report':
        return help ? print(io, REPORT_USAGE) : await reportCommand(rest, io)
      case undefined:
        io.stderr.write(`${USAGE}\n`)
        return 1
      case 'help':
      case '--help':
      case '-h':
        return print(io, USAGE)
      default:
        throw new UsageError(`Unknown command "${command}".\n\n${USAGE}`)
    }
  } catch (error) {
    io.stderr.write(`stripe402-treasury: ${describe(error)}\n`)
    return 1
  }
}

function print(io: Io, text: string): number {
  io.stdout.write(`${text}\n`)
  return 0
}

/** Only messages this package wrote reach the terminal: they never hold a card number or a handle. */
function describe(error: unknown): string {
  if (error instanceof UsageError || error instanceof AdminApiError) return error.message
  const code = (error as { code?: unknown }).code
  if (error instanceof TypeError && code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return error.message
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) return (error as Error).message
  if (error instanceof Error && error.name === 'StoreUnavailableError') return error.message
  return `failed (${error instanceof Error ? error.name : 'error'}); nothing else is printed in case it holds a secret.`
}

/** Entry point for the bin script. */
export async function run(): Promise<void> {
  let stop!: () => void
  const stopped = new Promise<void>((resolve) => {
    stop = resolve
  })
  process.once('SIGINT', () => stop())
  process.once('SIGTERM', () => stop())
  process.exitCode = await main(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    stopped,
  })
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
