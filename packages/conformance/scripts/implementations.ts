/** Writes the implementations table and the audit list into README.md (`--check`: only verify it is current). */
// Runs the suite against every in-repo adapter over the Stripe emulator.
// Usage: pnpm --filter @stripe402/conformance implementations [--check]
import { readFile, writeFile } from 'node:fs/promises'
import { startStripeEmulator } from '@stripe402/stripe-emulator'
import { auditServer, serverAudits } from '../src/index'
import {
  ADAPTER_LABELS,
  ADAPTERS,
  FREE_ROUTE,
  PARAM_ROUTE,
  ROUTE,
  startAdapter,
} from '../src/fixtures/adapters'
import {
  auditsTable,
  type ImplementationRow,
  implementationsTable,
  replaceBetweenMarkers,
} from '../src/fixtures/readme'
import { auditV1Fixture, V1_FIXTURE_LABEL } from '../src/fixtures/v1-row'

const readmeUrl = new URL('../README.md', import.meta.url)
const check = process.argv.includes('--check')

const emu = await startStripeEmulator({ port: 0 })
const rows: ImplementationRow[] = []
try {
  for (const name of ADAPTERS) {
    emu.reset()
    const server = await startAdapter(name, { stripeApi: emu.url, ...emu.keys() })
    try {
      const report = await auditServer({
        url: server.url,
        route: ROUTE,
        freeRoute: FREE_ROUTE,
        paramRoute: PARAM_ROUTE,
        payment: { stripeApi: emu.url },
        level: 'stripe402',
      })
      rows.push({ label: ADAPTER_LABELS[name], report })
      process.stderr.write(`${name}: ${report.ok ? 'every MUST holds' : 'a MUST does not hold'}\n`)
    } finally {
      await server.close()
    }
  }
  emu.reset()
  const report = await auditV1Fixture({ stripeApi: emu.url, ...emu.keys() })
  rows.push({ label: V1_FIXTURE_LABEL, report })
  process.stderr.write(
    `v1-shaped fixture: ${report.ok ? 'every MUST holds' : 'a MUST does not hold'}\n`,
  )
} finally {
  await emu.close()
}

const audits = serverAudits({
  url: 'http://localhost',
  route: ROUTE,
  freeRoute: FREE_ROUTE,
  paramRoute: PARAM_ROUTE,
  payment: { stripeApi: 'http://localhost' },
})
const before = await readFile(readmeUrl, 'utf8')
let after = replaceBetweenMarkers(before, 'implementations', implementationsTable(rows))
after = replaceBetweenMarkers(after, 'audits', auditsTable(audits))
if (check) {
  if (after !== before) {
    process.stderr.write(
      'README.md is stale: run `pnpm --filter @stripe402/conformance implementations`.\n',
    )
    process.exitCode = 1
  }
} else if (after !== before) {
  await writeFile(readmeUrl, after)
  process.stderr.write('README.md updated.\n')
} else {
  process.stderr.write('README.md already current.\n')
}
