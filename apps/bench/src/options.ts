/** Bench settings from flags (`--quick`, `--rounds=5`, `--adapters=express`) or BENCH_* environment variables. */
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ADAPTER_NAMES, type AdapterName, LEDGER_NAMES, type LedgerName } from './ipc'

export interface BenchOptions {
  adapters: AdapterName[]
  ledgers: LedgerName[]
  /** Measured rounds per adapter × ledger; each is one free and one paid burst. */
  rounds: number
  /** Target length of each burst, in seconds. */
  seconds: number
  warmupSeconds: number
  /** Concurrent HTTP connections of the load generator. */
  connections: number
  /** Seconds per ledger debits/s scenario. */
  ledgerSeconds: number
  ledgerConcurrency: number
  /** Paid calls made through @stripe402/client. */
  clientCalls: number
  /** Calls per timing of the in-process engine profile. */
  profileIterations: number
  /** Where benchmarks.md and benchmarks.json go; null writes nothing. */
  outDir: string | null
  quick: boolean
  /** Only re-render benchmarks.md from the benchmarks.json already in outDir (after editing the report's wording). */
  renderOnly: boolean
}

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')

export const DEFAULTS: BenchOptions = {
  adapters: [...ADAPTER_NAMES],
  ledgers: [...LEDGER_NAMES],
  rounds: 6,
  seconds: 1.5,
  warmupSeconds: 1,
  connections: 32,
  ledgerSeconds: 3,
  ledgerConcurrency: 64,
  clientCalls: 100,
  profileIterations: 20_000,
  outDir: join(REPO_ROOT, 'docs'),
  quick: false,
  renderOnly: false,
}

/** `--quick`: the same pipeline in about a minute, for checking that it works rather than for numbers. */
export const QUICK: Partial<BenchOptions> = {
  rounds: 2,
  seconds: 1,
  warmupSeconds: 0.5,
  ledgerSeconds: 1,
  clientCalls: 20,
  profileIterations: 5_000,
  quick: true,
}

const USAGE = `pnpm bench [--quick] [--adapters=express,koa,fetch] [--ledgers=memory,sqlite,pglite,redis,postgres]
  [--rounds=6] [--seconds=1.5] [--warmup=1] [--connections=32] [--ledger-seconds=3] [--ledger-concurrency=64]
  [--client-calls=100] [--profile-iterations=20000] [--out=DIR | --no-write] [--render-only]
Every flag also reads from the environment: BENCH_QUICK=1, BENCH_ROUNDS=5, BENCH_ADAPTERS=express, …`

const KNOWN = [
  'quick',
  'adapters',
  'ledgers',
  'rounds',
  'seconds',
  'warmup',
  'connections',
  'ledger-seconds',
  'ledger-concurrency',
  'client-calls',
  'profile-iterations',
  'out',
  'no-write',
  'render-only',
  'help',
]

export function parseOptions(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): BenchOptions | 'help' {
  const given = new Map<string, string>()
  for (const [name, value] of Object.entries(env)) {
    if (name.startsWith('BENCH_') && value !== undefined)
      given.set(name.slice(6).toLowerCase().replace(/_/g, '-'), value)
  }
  for (const arg of argv) {
    if (arg === '--') continue
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg)
    if (!match?.[1]) throw new Error(`unknown argument ${arg}\n${USAGE}`)
    given.set(match[1], match[2] ?? 'true')
  }
  if (given.has('help')) return 'help'
  for (const name of given.keys())
    if (!KNOWN.includes(name)) throw new Error(`unknown option ${name}\n${USAGE}`)
  const flag = (name: string) =>
    given.has(name) && given.get(name) !== '0' && given.get(name) !== 'false'
  const options: BenchOptions = { ...DEFAULTS, ...(flag('quick') ? QUICK : {}) }
  const number = (name: string, min: number): number | undefined => {
    const raw = given.get(name)
    if (raw === undefined) return undefined
    const n = Number(raw)
    if (!Number.isFinite(n) || n < min)
      throw new Error(`--${name} must be a number ≥ ${min}, got ${raw}`)
    return n
  }
  const list = <T extends string>(name: string, allowed: readonly T[]): T[] | undefined => {
    const raw = given.get(name)
    if (raw === undefined) return undefined
    const items = raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
    for (const item of items)
      if (!allowed.includes(item as T))
        throw new Error(`--${name}: "${item}" is not one of ${allowed.join(', ')}`)
    return items as T[]
  }
  options.adapters = list('adapters', ADAPTER_NAMES) ?? options.adapters
  options.ledgers = list('ledgers', LEDGER_NAMES) ?? options.ledgers
  options.rounds = Math.round(number('rounds', 1) ?? options.rounds)
  options.seconds = number('seconds', 0.1) ?? options.seconds
  options.warmupSeconds = number('warmup', 0.1) ?? options.warmupSeconds
  options.connections = Math.round(number('connections', 1) ?? options.connections)
  options.ledgerSeconds = number('ledger-seconds', 0.1) ?? options.ledgerSeconds
  options.ledgerConcurrency = Math.round(
    number('ledger-concurrency', 1) ?? options.ledgerConcurrency,
  )
  options.clientCalls = Math.round(number('client-calls', 2) ?? options.clientCalls)
  options.profileIterations = Math.round(
    number('profile-iterations', 100) ?? options.profileIterations,
  )
  if (given.has('out')) options.outDir = resolve(given.get('out') as string)
  if (flag('no-write')) options.outDir = null
  options.renderOnly = flag('render-only')
  return options
}

export { USAGE }
