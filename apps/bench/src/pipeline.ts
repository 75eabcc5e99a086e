/** The whole bench: engine profile, ledgers, HTTP cells, client round trips; then the report and its files. */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { startStripeEmulator } from '@stripe402/stripe-emulator'
import { benchClient, type ClientResult } from './client-bench'
import { type EngineProfile, profileEngine } from './engine-profile'
import { benchCell, type HttpResult, isMeasured, isSkipped } from './http-bench'
import { benchLedger, type LedgerBenchResult } from './ledger-bench'
import { machineAtEnd, machineAtStart } from './machine'
import type { BenchOptions } from './options'
import { type BenchReport, judgeTargets, renderMarkdown } from './report'

export interface RunOptions extends BenchOptions {
  /** Skip the engine profile and the client round trips (the smoke test keeps them; a focused run may not need them). */
  skipEngine?: boolean
  skipClient?: boolean
}

export async function runBench(
  options: RunOptions,
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<BenchReport> {
  const started = performance.now()
  const machine = machineAtStart()
  const stamp = () => {
    const s = Math.round((performance.now() - started) / 1000)
    return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`
  }
  const say = (line: string) => log(`[bench ${stamp()}] ${line}`)
  say(
    `${machine.cpu} × ${machine.cores}, Node ${machine.node}, load ${machine.loadAverage.start.join(' ')}`,
  )

  const emulator = await startStripeEmulator({ port: 0 })
  const keys = emulator.keys()
  const stripe = {
    url: emulator.url,
    publishableKey: keys.publishableKey,
    secretKey: keys.secretKey,
  }
  let engine: EngineProfile | null = null
  const ledgers: LedgerBenchResult[] = []
  const http: HttpResult[] = []
  let client: ClientResult | null = null
  try {
    if (!options.skipEngine) {
      say('engine profile (in process)')
      engine = await profileEngine(stripe, options.profileIterations)
    }
    for (const [i, name] of options.ledgers.entries()) {
      say(
        `ledger ${i + 1}/${options.ledgers.length}: ${name}, ${options.ledgerConcurrency} concurrent debits`,
      )
      ledgers.push(
        await benchLedger(
          name,
          {
            seconds: options.ledgerSeconds,
            warmupSeconds: Math.min(0.5, options.ledgerSeconds),
            concurrency: options.ledgerConcurrency,
          },
          say,
        ),
      )
    }
    const cells = options.adapters.flatMap((adapter) =>
      options.ledgers.map((ledger) => ({ adapter, ledger })),
    )
    for (const [i, { adapter, ledger }] of cells.entries()) {
      say(`http ${i + 1}/${cells.length}: ${adapter} × ${ledger}`)
      try {
        http.push(await benchCell(adapter, ledger, stripe, options, say))
      } catch (error) {
        // One broken cell (a server that would not start) must not throw away the others' results.
        const message = error instanceof Error ? error.message : String(error)
        say(`  FAILED: ${message}`)
        http.push({ adapter, ledger, error: message })
      }
    }
    if (!options.skipClient) {
      say(`client: ${options.clientCalls} paid calls through createPayingFetch`)
      client = await benchClient(stripe, options.clientCalls, say)
    }
  } finally {
    await emulator.close()
  }

  const {
    outDir: _outDir,
    renderOnly: _renderOnly,
    skipEngine: _skipEngine,
    skipClient: _skipClient,
    ...settings
  } = options
  // Where services are required (STRIPE402_REQUIRE_SERVICES=1, as .ci/run sets), a skipped ledger is a failure, not a footnote.
  const requireServices = process.env.STRIPE402_REQUIRE_SERVICES === '1'
  const skippedAny = http.some(isSkipped) || ledgers.some((l) => 'skipped' in l)
  const correct =
    !(requireServices && skippedAny) &&
    http.every((r) => isSkipped(r) || (isMeasured(r) && r.correctness.ok)) &&
    ledgers.every((l) => 'skipped' in l || (l.ownAccount.exact && l.hotAccount.exact)) &&
    (client === null || client.ok)
  const report: BenchReport = {
    schemaVersion: 1,
    ok: correct,
    machine: machineAtEnd(machine),
    settings,
    targets: judgeTargets(http),
    http,
    ledgers,
    client,
    engine,
    durationSeconds: (performance.now() - started) / 1000,
  }
  for (const t of report.targets) {
    say(
      `target ${t.name}: ${t.measured === null ? 'not run' : `${t.measured.toFixed(3)} (server CPU ratio ${t.cpuRatio?.toFixed(3)}) — ${t.met ? 'met' : `missed by ${t.shortBy?.toFixed(3)}`}`}`,
    )
  }
  say(report.ok ? 'all correctness checks passed' : 'A CORRECTNESS CHECK FAILED (see the report)')
  if (options.outDir) {
    await mkdir(options.outDir, { recursive: true })
    await writeFile(join(options.outDir, 'benchmarks.json'), `${JSON.stringify(report, null, 2)}\n`)
    await writeFile(join(options.outDir, 'benchmarks.md'), renderMarkdown(report))
    say(`wrote ${join(options.outDir, 'benchmarks.md')} and benchmarks.json`)
  }
  return report
}
