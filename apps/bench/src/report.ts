/** The report: its JSON shape, the targets it is judged against, and the Markdown written to docs/benchmarks.md. */
import type { ClientResult } from './client-bench'
import type { EngineProfile } from './engine-profile'
import {
  type HttpCell,
  type HttpResult,
  isFailed,
  isMeasured,
  isSkipped,
  median,
  type RouteSummary,
} from './http-bench'
import { type AdapterName, type LedgerName, WIRE_PATH } from './ipc'
import type { LedgerBenchResult } from './ledger-bench'
import type { Machine } from './machine'
import type { BenchOptions } from './options'

export interface TargetResult {
  name: string
  adapter: AdapterName
  ledger: LedgerName
  /** Lowest acceptable paid/free requests/s. */
  target: number
  /** Most server CPU the paywall may add per paid request, in µs (null: no such target on this cell). */
  maxAddedMicros: number | null
  /**
   * Most server CPU the paywall may add here beyond what it adds on the same adapter × memory, in µs
   * (issue 16: Redis within 4 µs of memory); null: no such target on this cell.
   */
  maxAddedOverMemoryMicros: number | null
  /** What the paywall adds here minus what it adds on the same adapter × memory, in µs; null when either did not run. */
  addedOverMemory: number | null
  /** Measured paid/free requests/s; null when the cell did not run. */
  measured: number | null
  /** Free over paid server CPU per request: what a server with a core to itself would reach. */
  cpuRatio: number | null
  met: boolean | null
  /** Target minus measured, when the ratio missed. */
  shortBy: number | null
  /** Whether the paywall added at most `maxAddedMicros` (or `maxAddedOverMemoryMicros` over memory's); null without that target or without the cells. */
  addedMet: boolean | null
  /** Server CPU per request on the free and paid routes, and what the paywall adds, in µs. */
  serverCpu: { free: number; paid: number; added: number } | null
  /** The most the paywall could add to this free route's CPU and still meet the target, in µs. */
  allowedAddedMicros: number | null
  /** Handler work (µs of CPU per request) above which the measured paywall cost meets the target. */
  breakEvenHandlerMicros: number | null
}

export interface BenchReport {
  schemaVersion: 1
  /** Everything passed: correctness of every cell, ledger balances, client round trips. Targets are reported, not required. */
  ok: boolean
  machine: Machine
  settings: Omit<BenchOptions, 'outDir' | 'renderOnly'>
  targets: TargetResult[]
  http: HttpResult[]
  ledgers: LedgerBenchResult[]
  client: ClientResult | null
  engine: EngineProfile | null
  durationSeconds: number
}

/** A route's server CPU per request: the median of its rounds (pooled when it kept none). */
export function cpuOf(route: RouteSummary): number {
  return route.rounds.length > 0
    ? median(route.rounds.map((r) => r.serverCpuMicrosPerRequest))
    : route.serverCpuMicrosPerRequest
}

/**
 * What `over` costs the server per request beyond `base`, in µs: the median, over the rounds, of
 * the two bursts of one round side by side (they ran back to back, under the same load), so a
 * round in which another tenant took the machine moves it little; pooled when no rounds were kept.
 */
export function cpuAdded(over: RouteSummary, base: RouteSummary): number {
  const n = over.rounds.length
  if (n === 0 || n !== base.rounds.length)
    return over.serverCpuMicrosPerRequest - base.serverCpuMicrosPerRequest
  return median(
    over.rounds.map(
      (r, i) =>
        r.serverCpuMicrosPerRequest -
        (base.rounds[i] as RouteSummary['rounds'][number]).serverCpuMicrosPerRequest,
    ),
  )
}

/** For a target whose cell measured WIRE_PATH: how much of the allowance the protocol's bytes alone take. */
function wireNote(report: BenchReport, t: TargetResult): string {
  const measured = report.http.filter(isMeasured)
  const c = measured.find((m) => m.adapter === t.adapter && m.ledger === t.ledger)
  const allowed = t.allowedAddedMicros
  if (!c?.wire || allowed === null) return ''
  const wire = cpuAdded(c.wire, c.free)
  return (
    `The protocol's own bytes (the \`Payment\` header in, the four paywall headers out), sent and received on a free route in the same rounds, cost ${fixed(wire, 1)} µs of that by themselves` +
    (wire >= allowed
      ? ', as much as the whole allowance: no engine, however cheap, meets this ratio on a handler this cheap with the v1 wire format. '
      : `, leaving ${fixed(allowed - wire, 1)} µs for the engine's work. `)
  )
}

/**
 * Issue 16's targets: paid/free in the side-by-side rounds; on Express × memory at most 10 µs of CPU
 * added, and on Express × Redis at most 4 µs more than on Express × memory.
 */
export const TARGETS: ReadonlyArray<{
  adapter: AdapterName
  ledger: LedgerName
  target: number
  maxAddedMicros?: number
  maxAddedOverMemoryMicros?: number
}> = [
  { adapter: 'express', ledger: 'memory', target: 0.88, maxAddedMicros: 10 },
  { adapter: 'express', ledger: 'redis', target: 0.85, maxAddedOverMemoryMicros: 4 },
  { adapter: 'express', ledger: 'sqlite', target: 0.6 },
]

export function judgeTargets(http: HttpResult[]): TargetResult[] {
  const measured = http.filter(isMeasured)
  return TARGETS.map(({ adapter, ledger, target, maxAddedMicros, maxAddedOverMemoryMicros }) => {
    const name =
      `paid/free ≥ ${target}` +
      (maxAddedMicros === undefined ? '' : ` and paywall adds ≤ ${maxAddedMicros} µs`) +
      (maxAddedOverMemoryMicros === undefined
        ? ''
        : ` and paywall adds ≤ memory's + ${maxAddedOverMemoryMicros} µs`) +
      ` on ${adapter} × ${ledger}`
    const cell = measured.find((r) => r.adapter === adapter && r.ledger === ledger)
    const memory = measured.find((r) => r.adapter === adapter && r.ledger === 'memory')
    if (!cell)
      return {
        name,
        adapter,
        ledger,
        target,
        maxAddedMicros: maxAddedMicros ?? null,
        maxAddedOverMemoryMicros: maxAddedOverMemoryMicros ?? null,
        addedOverMemory: null,
        measured: null,
        cpuRatio: null,
        met: null,
        shortBy: null,
        addedMet: null,
        serverCpu: null,
        allowedAddedMicros: null,
        breakEvenHandlerMicros: null,
      }
    // Medians over the rounds, and the paid route's cost as the free one's plus the paired median of what it adds.
    const free = cpuOf(cell.free)
    const added = cpuAdded(cell.paid, cell.free)
    const paid = free + added
    const ratioMet = cell.ratio >= target
    const addedOverMemory = memory ? added - cpuAdded(memory.paid, memory.free) : null
    const addedMet =
      maxAddedMicros !== undefined
        ? added <= maxAddedMicros
        : maxAddedOverMemoryMicros !== undefined && addedOverMemory !== null
          ? addedOverMemory <= maxAddedOverMemoryMicros
          : null
    return {
      name,
      adapter,
      ledger,
      target,
      maxAddedMicros: maxAddedMicros ?? null,
      maxAddedOverMemoryMicros: maxAddedOverMemoryMicros ?? null,
      addedOverMemory,
      measured: cell.ratio,
      cpuRatio: free / paid,
      met: ratioMet && addedMet !== false,
      shortBy: ratioMet ? null : target - cell.ratio,
      addedMet,
      serverCpu: { free, paid, added },
      allowedAddedMicros: free / target - free,
      // (free + H) / (paid + H) ≥ target  ⇔  H ≥ (target·paid − free) / (1 − target)
      breakEvenHandlerMicros: Math.max(0, (target * paid - free) / (1 - target)),
    }
  })
}

const int = (n: number) => Math.round(n).toLocaleString('en-US')
const fixed = (n: number | null | undefined, digits = 2) =>
  n === null || n === undefined || Number.isNaN(n) ? '–' : n.toFixed(digits)
const ADAPTER_LABEL: Record<AdapterName, string> = {
  express: 'Express 5',
  koa: 'Koa 3',
  fetch: 'fetch (Hono on @hono/node-server)',
}
const LEDGER_LABEL: Record<LedgerName, string> = {
  memory: 'memory',
  sqlite: 'SQLite',
  pglite: 'PGlite',
  redis: 'Redis',
  postgres: 'PostgreSQL',
}

function table(headers: string[], rows: string[][], align?: string[]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`
  return [
    line(headers),
    line(align ?? headers.map((_, i) => (i === 0 ? '---' : '---:'))),
    ...rows.map(line),
  ].join('\n')
}

export function renderMarkdown(report: BenchReport): string {
  const { machine, settings } = report
  const cells = report.http.filter(isMeasured)
  const skipped = report.http.filter(isSkipped)
  const failed = report.http.filter(isFailed)
  const out: string[] = []
  const push = (...lines: string[]) => out.push(...lines)

  push(
    '# Benchmarks',
    '',
    `<!-- Generated by \`pnpm bench\` (apps/bench) on ${machine.finishedAt}. Do not edit by hand: run it again. -->`,
    '',
    'The free route and the paid credit path of the same app, side by side in one run, for every adapter and ledger;',
    "the ledgers on their own; the client's round trips per paid call; and where the credit path spends its time.",
    `${settings.quick ? '**This is a `--quick` run: short bursts, for checking the pipeline, not for quoting.**\n' : ''}`,
    '## Machine',
    '',
    table(
      ['', ''],
      [
        ['CPU', `${machine.cpu} × ${machine.cores} logical cores`],
        ['Memory', `${machine.memoryGiB} GiB`],
        ['OS', machine.os],
        ['Node', machine.node],
        [
          'Date',
          `${machine.startedAt} → ${machine.finishedAt} (${Math.round(report.durationSeconds)} s)`,
        ],
        [
          'Load average (1/5/15 min)',
          `${machine.loadAverage.start.join(' / ')} at start, ${machine.loadAverage.end.join(' / ')} at end`,
        ],
        [
          'Commit',
          `${machine.commit ?? 'unknown'}${machine.dirty ? ' (with uncommitted changes)' : ''}`,
        ],
      ],
      ['---', '---'],
    ),
    '',
    `The machine is shared: the server under test, the load generator, Redis and PostgreSQL and other people's work all run on ${machine.cores} cores.`,
    'Absolute numbers move from run to run; the ratios are what to read, because free and paid run interleaved on the same app under the same conditions.',
    'The server CPU per request (measured in the server process) is the steadiest figure: it does not depend on how busy the other core was.',
    '',
    '## Targets',
    '',
    table(
      [
        'Target',
        'Measured paid/free (req/s, median of rounds)',
        'Server CPU ratio (free µs / paid µs)',
        'Paywall adds µs/req (at most)',
        'Met',
        'Ratio short by',
      ],
      report.targets.map((t) => [
        t.name,
        fixed(t.measured, 3),
        fixed(t.cpuRatio, 3),
        `${fixed(t.serverCpu?.added, 1)}${t.maxAddedMicros === null ? '' : ` (${t.maxAddedMicros})`}` +
          (t.maxAddedOverMemoryMicros === null
            ? ''
            : `; ${fixed(t.addedOverMemory, 1)} over memory (${t.maxAddedOverMemoryMicros})`),
        t.met === null ? 'not run' : t.met ? 'yes' : '**no**',
        t.shortBy === null
          ? '–'
          : `${fixed(t.shortBy, 3)} (${fixed((t.shortBy / t.target) * 100, 1)} %)`,
      ]),
      ['---', '---:', '---:', '---:', '---', '---:'],
    ),
    '',
  )
  const engineStep = (prefix: string) =>
    report.engine?.steps.find((step) => step.step.trim().startsWith(prefix))?.microsPerCall
  const enginePaid = engineStep('paywall.begin + settle')
  const engineFree = engineStep('paywall.begin, free')
  const engineAdded =
    enginePaid !== undefined && engineFree !== undefined ? enginePaid - engineFree : undefined
  for (const t of report.targets) {
    if (t.met !== false || !t.serverCpu) continue
    if (t.shortBy === null) {
      push(
        `**${t.name}: the ratio is met, the CPU is not**: the paywall adds ${fixed(t.serverCpu.added, 1)} µs of server CPU per paid request` +
          (t.maxAddedMicros !== null
            ? `, above ${t.maxAddedMicros} µs.`
            : `, ${fixed(t.addedOverMemory, 1)} µs more than on memory, above ${t.maxAddedOverMemoryMicros} µs.`),
        '',
      )
      continue
    }
    push(
      `**${t.name}: missed by ${fixed(t.shortBy, 3)}** (${fixed(((t.shortBy ?? 0) / t.target) * 100, 1)} % below the target). ` +
        `On this app the free route costs ${fixed(t.serverCpu.free, 0)} µs of server CPU per request and the paid route ${fixed(t.serverCpu.paid, 0)} µs: ` +
        `the paywall adds ${fixed(t.serverCpu.added, 0)} µs per paid request. ` +
        `To stay within ${t.target} of a handler this cheap it could add at most ${fixed(t.allowedAddedMicros, 1)} µs` +
        (engineAdded === undefined
          ? '. '
          : ` (the engine alone, in process and on the memory ledger, adds ${fixed(engineAdded, 1)} µs to a paid call; the rest is the HTTP side and the ledger${t.ledger === 'memory' ? '' : ` round trip to ${LEDGER_LABEL[t.ledger]}`}, see below). `) +
        (t.addedMet === false
          ? t.maxAddedMicros !== null
            ? `The paywall's CPU target (at most ${t.maxAddedMicros} µs) is missed too. `
            : `The paywall's CPU target (at most ${t.maxAddedOverMemoryMicros} µs more than on memory) is missed too: ${fixed(t.addedOverMemory, 1)} µs more. `
          : t.addedMet === true && t.maxAddedOverMemoryMicros !== null
            ? `The paywall's CPU target is met: it adds ${fixed(t.addedOverMemory, 1)} µs more here than on memory (at most ${t.maxAddedOverMemoryMicros}). `
            : t.addedMet === true && t.maxAddedMicros !== null
              ? `The paywall's CPU target is met: it adds ${fixed(t.serverCpu.added, 1)} µs (at most ${t.maxAddedMicros}). `
              : '') +
        wireNote(report, t) +
        `With the measured cost, an endpoint whose handler spends at least ${int(t.breakEvenHandlerMicros ?? 0)} µs of CPU per request meets the target.`,
      '',
    )
  }
  push(...findings(report), '')

  push(
    '## HTTP: free route vs paid credit path',
    '',
    `autocannon, ${settings.connections} connections, loopback; the server in its own process. ${settings.rounds} rounds of about ${settings.seconds} s per route after ${settings.warmupSeconds} s of warm-up each, interleaved free/paid (ABBA order).`,
    'Paid/free is the median of the rounds\' ratios ("Per round": each round\'s paid burst over its free burst, to show the noise); requests/s are pooled over the rounds; latencies are percentiles of every response.',
    '"Server CPU" is CPU time of the server process per request: the cost of each route independent of how busy the other core was, and the cleanest view of what the paywall adds. "Paywall adds" is the median over the rounds of paid minus free within one round (the two bursts ran back to back), so a round disturbed by other work on the machine moves it little; the targets read it, and the median of each route\'s rounds, the same way.',
    "\"KB allocated\" is what the server's JavaScript allocated per request (V8's `total_allocated_bytes`): garbage the collector pays for later, and a figure the machine's load barely moves.",
    'Where a free route answers faster than one autocannon process can ask (Koa and fetch, well above 10,000 req/s here), requests/s measure the load generator as much as the server, which flatters paid/free: read the CPU columns there.',
    '',
    table(
      [
        'Adapter',
        'Ledger',
        'Free req/s',
        'Paid req/s',
        'Paid/free',
        'Per round',
        'Free p50 / p99 ms',
        'Paid p50 / p99 ms',
        'Server CPU µs/req free → paid (ratio), median of rounds',
        'Paywall adds µs/req',
        'KB allocated/req free → paid',
        'Correct',
      ],
      cells.map((c) => [
        ADAPTER_LABEL[c.adapter],
        LEDGER_LABEL[c.ledger],
        int(c.free.requestsPerSecond),
        int(c.paid.requestsPerSecond),
        `**${fixed(c.ratio, 3)}**`,
        c.roundRatios.map((r) => fixed(r, 2)).join(', '),
        `${fixed(c.free.p50Ms)} / ${fixed(c.free.p99Ms)}`,
        `${fixed(c.paid.p50Ms)} / ${fixed(c.paid.p99Ms)}`,
        `${fixed(cpuOf(c.free), 0)} → ${fixed(cpuOf(c.paid), 0)} (${fixed(cpuOf(c.free) / cpuOf(c.paid), 2)})`,
        fixed(cpuAdded(c.paid, c.free), 0),
        `${fixed((c.free.serverBytesPerRequest ?? Number.NaN) / 1024, 1)} → ${fixed((c.paid.serverBytesPerRequest ?? Number.NaN) / 1024, 1)}`,
        c.correctness.ok ? 'yes' : '**NO**',
      ]),
      ['---', '---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---'],
    ),
    '',
  )
  if (skipped.length > 0)
    push(
      ...skipped.map(
        (s) => `- ${ADAPTER_LABEL[s.adapter]} × ${LEDGER_LABEL[s.ledger]} skipped: ${s.skipped}`,
      ),
      '',
    )
  if (failed.length > 0)
    push(
      ...failed.map(
        (f) => `- **${ADAPTER_LABEL[f.adapter]} × ${LEDGER_LABEL[f.ledger]} failed:** ${f.error}`,
      ),
      '',
    )
  const setups = [...new Map(cells.map((c) => [c.ledger, c.ledgerSetup])).entries()]
  push(
    'Ledgers in the server process: ' +
      setups.map(([ledger, setup]) => `${LEDGER_LABEL[ledger]}: ${setup}`).join('; ') +
      '.',
    '',
    '### Correctness under load',
    '',
    'After the rounds of each cell: the 2xx answers the load generator got on the paid route must equal the units debited divided by the price (1 unit),',
    'and the times the paid handler ran; no non-2xx answer and no connection error on either route. Bursts are a fixed number of requests, so every request sent is answered and counted.',
    '',
    table(
      [
        'Adapter',
        'Ledger',
        'Paid 2xx',
        'Units debited',
        'Paid handler runs',
        'Non-2xx (paid / free)',
        'Errors',
        'OK',
      ],
      cells.map((c) => [
        ADAPTER_LABEL[c.adapter],
        LEDGER_LABEL[c.ledger],
        int(c.correctness.paid2xx),
        int(c.correctness.unitsDebited),
        int(c.correctness.paidHandlerRuns),
        `${c.correctness.paidNon2xx} / ${c.correctness.freeNon2xx}`,
        String(c.correctness.errors),
        c.correctness.ok ? 'yes' : `**NO**: ${c.correctness.problems.join('; ')}`,
      ]),
      ['---', '---', '---:', '---:', '---:', '---:', '---:', '---'],
    ),
    '',
  )

  push(
    '## Ledger debits per second',
    '',
    `\`ledger.spend\` straight on each ledger, ${settings.ledgerConcurrency} concurrent callers, ${settings.ledgerSeconds} s per scenario, in the bench process (helpers from packages/server/bench).`,
    '',
  )
  const ledgerRows = report.ledgers.map((l) =>
    'skipped' in l
      ? [LEDGER_LABEL[l.ledger], 'skipped', '', '', '', l.skipped]
      : [
          LEDGER_LABEL[l.ledger],
          int(l.ownAccount.debitsPerSecond),
          int(l.hotAccount.debitsPerSecond),
          l.ownAccount.roundTripsPerDebit === null
            ? '–'
            : fixed(l.ownAccount.roundTripsPerDebit, 2),
          l.unit,
          l.ownAccount.exact && l.hotAccount.exact ? 'yes' : '**NO**',
        ],
  )
  push(
    table(
      [
        'Ledger',
        'Debits/s, own account each',
        'Debits/s, one hot account',
        'Round trips / debit',
        'Counted as',
        'Balances exact',
      ],
      ledgerRows,
      ['---', '---:', '---:', '---:', '---', '---'],
    ),
    '',
    'One round trip per debit on every networked store (a Lua script on Redis, one SQL function call on PostgreSQL and PGlite). SQLite (the embedded default) is a file in WAL mode in the calling process; its statements per debit include its share of each `BEGIN IMMEDIATE`/`COMMIT`, which the debits of one event-loop turn share. PGlite here is in memory (`PGlite.create()`); the HTTP cells run it persisted.',
    "PGlite is one WASM Postgres in the calling process, so its debits also use that process's CPU; PostgreSQL commits (and syncs its WAL) once per debit and shares these cores with everything else.",
    '',
  )

  push('## Client round trips per paid call', '')
  if (report.client) {
    const c = report.client
    push(
      `\`createPayingFetch\` making ${c.calls} paid calls one after another against the Express × memory server; requests counted by the server.`,
      '',
      table(
        [
          'Calls',
          'Answered 200',
          'Requests, first call',
          'Requests per call after the first',
          'Requests per call overall',
          'Stripe API requests',
          'ms per steady-state call',
          'OK',
        ],
        [
          [
            String(c.calls),
            String(c.paidCalls),
            String(c.firstCallRequests),
            fixed(c.steadyStateRequestsPerCall, 3),
            fixed(c.requestsPerCall, 3),
            String(c.stripeRequests),
            fixed(c.steadyStateMsPerCall, 2),
            c.ok ? 'yes' : '**NO**',
          ],
        ],
        ['---:', '---:', '---:', '---:', '---:', '---:', '---:', '---'],
      ),
      '',
      'The first call gets the 402, tokenizes the card once and retries with the PaymentMethod (2 requests); every later call sends its credential up front (1 request).',
      '',
    )
  } else push('Not run.', '')

  push("## Where the credit path's time goes", '')
  if (report.engine) {
    push(
      `The engine alone, in process, no HTTP (memory ledger; best of several runs of ${int(report.engine.iterations)} calls):`,
      '',
      table(
        ['Step', 'µs per call'],
        report.engine.steps.map((s) => [
          s.step.replace(/^( +)/, (m) => '&nbsp;'.repeat(m.length * 2)),
          fixed(s.microsPerCall, 2),
        ]),
        ['---', '---:'],
      ),
      '',
    )
  } else push('Not run.', '')

  push(
    '## Method',
    '',
    '- The server under test (`apps/bench/src/server.ts`) runs in its own Node process, started with tsx for each adapter × ledger; the load generator (autocannon 8, programmatic) runs in the bench process; both on loopback.',
    "- One app per cell with two routes, `GET /api/free` and `GET /api/paid`, behind the same paywall middleware and with the same handler and JSON body: the only difference is the paywall's work. The paid route costs 1 unit; `rateLimits: false`.",
    '- Before measuring, the bench pays once with a PaymentMethod tokenized against the Stripe emulator (a $100,000 top-up), then loads the paid route with the credential up front, as `@stripe402/client` sends it in steady state (`{ clientId, maxAmount }`).',
    "- Each measured burst is a fixed number of requests sized from the previous burst's rate to last about the configured seconds, so that no request is cut off and the correctness check is exact.",
    '- Server CPU per request is `process.cpuUsage()` of the server process across each burst, divided by its requests.',
    `- Run it: \`pnpm bench\` (about 8–9 minutes), \`pnpm bench --quick\`, or e.g. \`pnpm bench --adapters=express --ledgers=memory,redis --rounds=5\`. REDIS_URL and DATABASE_URL choose the services (defaults: local Redis and PostgreSQL; a cell whose service is down is skipped and said so).`,
    "- Beside it, in apps/bench: `tsx src/profile.ts` (where a paid request's CPU and bytes go, paid minus free), `tsx src/ab.ts --base=DIR` (two checkouts side by side), and for [scaling.md](scaling.md) `tsx src/scale.ts` (several processes on one ledger), `tsx src/postgres-knobs.ts` (pool size, `synchronous_commit`) and `tsx src/lease-sim.ts` (credit leases, simulated).",
    '',
  )
  return `${out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`
}

/** What this run's numbers say about where the paid path's cost comes from; each note only when the data shows it. */
function findings(report: BenchReport): string[] {
  const cells = report.http.filter(isMeasured)
  const cell = (adapter: AdapterName, ledger: LedgerName) =>
    cells.find((c) => c.adapter === adapter && c.ledger === ledger)
  const added = (c: HttpCell | undefined) => (c ? cpuAdded(c.paid, c.free) : Number.NaN)
  const wireAdded = (c: HttpCell) => (c.wire ? cpuAdded(c.wire, c.free) : Number.NaN)
  const step = (prefix: string) =>
    report.engine?.steps.find((s) => s.step.trim().startsWith(prefix))?.microsPerCall
  const notes: string[] = []
  const begin = step('paywall.begin + settle')
  const free = step('paywall.begin, free')
  if (begin !== undefined && free !== undefined) {
    const encode = step('encodePaymentResponse')
    const decodeAgain = step('decodePaymentPayload, a header sent again')
    const decodeFirst = step('decodePaymentPayload, a header not seen')
    const parseAgain = step('parseClientId, a credential sent again')
    const hash = step('hashCredential')
    const pieces = [
      {
        what: `decoding the payment header (${fixed(decodeFirst, 2)} µs the first time it is seen)`,
        micros: decodeAgain,
      },
      {
        what: `reading the credential (${fixed(hash, 2)} µs to hash one not seen before)`,
        micros: parseAgain,
      },
      { what: 'encoding the payment-response header', micros: encode },
    ]
      .filter((piece): piece is { what: string; micros: number } => piece.micros !== undefined)
      .sort((a, b) => b.micros - a.micros)
      .map((piece) => `${piece.what} ${fixed(piece.micros, 2)} µs`)
    notes.push(
      `- **The engine** (in process, no HTTP) spends ${fixed(begin, 1)} µs on a paid call against ${fixed(free, 1)} µs on a free one. ` +
        `Of the pieces measured alone: ${pieces.join(', ')}. An agent sends the same header and credential on every call, and both are remembered; the rest is the request path itself (the debit, the receipt; the memory ledger's debits are not held, see docs/reliability.md).`,
    )
  }
  const express = cell('express', 'memory')
  if (express && begin !== undefined && free !== undefined) {
    const kb = (route: 'free' | 'paid') =>
      (express[route].serverBytesPerRequest ?? Number.NaN) / 1024
    notes.push(
      `- **Over HTTP** the paid route costs ${fixed(added(express), 0)} µs more server CPU than the free one on Express × memory, more than the engine's ${fixed(begin - free, 0)} µs in process, ` +
        `and allocates ${fixed(kb('paid') - kb('free'), 1)} KB more per request (${fixed(kb('free'), 1)} → ${fixed(kb('paid'), 1)} KB): the collector's work grows with it. ` +
        'Each paid response sets four more headers (the receipt, the expose list, `Cache-Control`, `Vary`) and carries a few hundred more bytes each way; the memory ledger keeps every journal entry for the life of the process (a few array slots and the ref per debit, about 140 bytes: `packages/server/bench/memory-ledger.ts`), so its heap grows a little with each debit. ' +
        (express.wire
          ? `Measured in the same rounds, a free route that receives the paid route's \`Payment\` header and answers with the paywall's four headers, byte for byte (\`${WIRE_PATH}\`), costs ${fixed(wireAdded(express), 1)} µs more than the free route: that much of the ${fixed(added(express), 1)} µs is the protocol's bytes on the wire, whatever the engine does; the other ${fixed(added(express) - wireAdded(express), 1)} µs are the engine's work over HTTP. `
          : '') +
        '`tsx src/profile.ts` (apps/bench) profiles both routes under this load and prints paid minus free by area of the code and by function, CPU and bytes.',
    )
  }
  const fetchCell = cell('fetch', 'memory')
  if (fetchCell && express && added(fetchCell) - added(express) > 20) {
    notes.push(
      `- **The fetch adapter's paid path costs more than the others'** (${fixed(added(fetchCell), 0)} µs added on fetch × memory, ${fixed(added(express), 0)} µs on Express × memory): ` +
        "`withPaywall` in @stripe402/fetch sets the paid answer's four headers on the handler's `res.headers`, in place. On @hono/node-server a handler's response keeps its headers as a plain object until something reads `res.headers`: " +
        'reading it builds an undici `Headers` (every name and value checked, the list sorted), each `set` checks again, and @hono/node-server turns the `Headers` back into an object for Node. The free route never reads them. ' +
        "`tsx src/profile.ts --adapter=fetch` shows undici's header code as most of the difference; the WHATWG API offers no cheaper way to add a header to a response.",
    )
  }
  const redis = cell('express', 'redis')
  if (redis && express) {
    notes.push(
      `- **Redis**: the paywall adds ${fixed(added(redis), 0)} µs of server CPU per paid request on Express × Redis against ${fixed(added(express), 0)} µs with memory ` +
        `(paid p50 ${fixed(redis.paid.p50Ms)} ms against ${fixed(express.paid.p50Ms)} ms; paid/free ${fixed(redis.ratio, 3)} against ${fixed(express.ratio, 3)}). ` +
        'The debits of one event-loop turn go to Redis as one script (`SPEND_BATCH`: one command, one reply). The script runs in redis-server, on the same two cores as the server and the load generator: that CPU is spent per paid request too, but in another process, so the server CPU column does not show it' +
        (redis.paid.storeCpuMicrosPerRequest !== undefined &&
        redis.free.storeCpuMicrosPerRequest !== undefined
          ? ` — redis-server used ${fixed(redis.paid.storeCpuMicrosPerRequest, 0)} µs per paid request (${fixed(redis.free.storeCpuMicrosPerRequest, 1)} µs per free request, which never touch Redis: other clients' background). ` +
            `Counting both processes, free/paid CPU is ${fixed(redis.free.serverCpuMicrosPerRequest / (redis.paid.serverCpuMicrosPerRequest + redis.paid.storeCpuMicrosPerRequest - redis.free.storeCpuMicrosPerRequest), 2)}.`
          : '.'),
    )
  }
  for (const ledger of ['postgres', 'pglite'] as const) {
    const paid = cells.filter((c) => c.ledger === ledger)
    if (paid.length === 0) continue
    const bench = report.ledgers.find((l) => l.ledger === ledger)
    const rate = bench && !('skipped' in bench) ? bench.ownAccount.debitsPerSecond : undefined
    const best = Math.max(...paid.map((c) => c.paid.requestsPerSecond))
    notes.push(
      `- **${LEDGER_LABEL[ledger]}** bounds the paid route: at most ${int(best)} paid requests/s over HTTP${rate === undefined ? '' : `, against ${int(rate)} debits/s on the ledger alone at ${bench && !('skipped' in bench) ? bench.concurrency : ''} concurrent callers`}. ` +
        (ledger === 'postgres'
          ? "Every debit is one transaction (balance update plus journal insert), and with PostgreSQL's default `synchronous_commit = on` each commit waits for a WAL flush; the free route never touches the database. " +
            "Each round trip is also a loopback write to another process on the same two cores, and those writes dominate the server's extra CPU."
          : "PGlite is Postgres compiled to WASM running inside the server process, one statement at a time: its debits use the same CPU as the HTTP server, so the server CPU per paid request is mostly the database's."),
    )
  }
  return notes.length > 0 ? ["### Where the paid path's cost comes from", '', ...notes] : []
}
