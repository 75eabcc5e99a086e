/** `pnpm bench`: runs the whole bench and writes docs/benchmarks.md and docs/benchmarks.json. Progress goes to stderr. */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseOptions, USAGE } from './options'
import { runBench } from './pipeline'
import { type BenchReport, judgeTargets, renderMarkdown } from './report'

const options = parseOptions(process.argv.slice(2))
if (options === 'help') {
  process.stdout.write(`${USAGE}\n`)
} else if (options.renderOnly) {
  if (!options.outDir) throw new Error('--render-only needs an output folder (not --no-write)')
  const report = JSON.parse(
    await readFile(join(options.outDir, 'benchmarks.json'), 'utf8'),
  ) as BenchReport
  // The same measurements, judged by the targets as they are now written.
  report.targets = judgeTargets(report.http)
  await writeFile(join(options.outDir, 'benchmarks.json'), `${JSON.stringify(report, null, 2)}\n`)
  await writeFile(join(options.outDir, 'benchmarks.md'), renderMarkdown(report))
  process.stderr.write(
    `re-rendered ${join(options.outDir, 'benchmarks.md')} from benchmarks.json (targets judged again)\n`,
  )
} else {
  const report = await runBench(options)
  if (!report.ok) process.exitCode = 1
}
