/** The `stripe402` command: `fetch` pays for one request like curl would send it; `wallet` shows what was charged, used and is left. Node only. */
import { realpathSync } from 'node:fs'
import { isClientError } from './errors'
import { FETCH_USAGE } from './cli/args'
import { UsageError } from './cli/card'
import { EXIT } from './cli/exit-codes'
import { fetchCommand, type Io } from './cli/fetch-command'
import { WALLET_USAGE, walletCommand } from './cli/wallet-command'

const USAGE = `Usage: stripe402 <command>

  fetch <url> [options]   fetch a URL, paying its stripe402 price within a policy
  wallet [--wallet FILE]  show credits left, charged and used per origin

Run "stripe402 <command> --help" for the options of a command.`

export async function main(argv: string[], io: Io): Promise<number> {
  const [command, ...rest] = argv
  const wantsHelp = rest.includes('--help') || rest.includes('-h')
  try {
    switch (command) {
      case 'fetch':
        if (wantsHelp) return print(io, FETCH_USAGE)
        return await fetchCommand(rest, io)
      case 'wallet':
        if (wantsHelp) return print(io, WALLET_USAGE)
        return await walletCommand(rest, io)
      case undefined:
        // Nothing asked: the usage goes where errors go, and the shell sees a failure.
        io.stderr.write(`${USAGE}\n`)
        return EXIT.OTHER
      case 'help':
      case '--help':
      case '-h':
        return print(io, USAGE)
      default:
        throw new UsageError(`Unknown command "${command}".\n\n${USAGE}`)
    }
  } catch (error) {
    io.stderr.write(`stripe402: ${describeError(error)}\n`)
    return EXIT.OTHER
  }
}

/** Usage and client errors are written for people already; a network error also gets its cause (`fetch failed` alone says nothing). */
function describeError(error: unknown): string {
  if (error instanceof UsageError || isClientError(error)) return error.message
  if (!(error instanceof Error)) return String(error)
  const cause = error.cause instanceof Error ? error.cause.message : undefined
  return cause ? `${error.message} (${cause})` : error.message
}

function print(io: Io, text: string): number {
  io.stdout.write(`${text}\n`)
  return EXIT.OK
}

/** Runs the command line of this process and sets its exit code (what bin/stripe402.js calls). */
export async function run(): Promise<void> {
  process.exitCode = await main(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
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
