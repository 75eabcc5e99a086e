/** `pnpm bench`: runs the whole bench and writes docs/benchmarks.md and docs/benchmarks.json. Progress goes to stderr. */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseOptions, USAGE } from './options'
import { runBench } from './pipeline'
import { type BenchReport, renderMarkdown } from './report'

const options = parseOptions(process.argv.slice(2))
if (options === 'help') {
  process.stdout.write(`${USAGE}\n`)
} else if (options.renderOnly) {
  if (!options.outDir) throw new Error('--render-only needs an output folder (not --no-write)')
  const report = JSON.parse(
    await readFile(join(options.outDir, 'benchmarks.json'), 'utf8'),
  ) as BenchReport
  await writeFile(join(options.outDir, 'benchmarks.md'), renderMarkdown(report))
  process.stderr.write(
    `re-rendered ${join(options.outDir, 'benchmarks.md')} from benchmarks.json\n`,
  )
} else {
  const report = await runBench(options)
  if (!report.ok) process.exitCode = 1
}
