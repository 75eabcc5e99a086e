/** The CLI as a function of its arguments and output streams, so tests can run it in-process. */
import { renderJson } from '../report/json'
import { renderMarkdown } from '../report/markdown'
import { auditServer } from '../report/run'
import { renderTable } from '../report/table'
import { parseCli, USAGE, UsageError } from './args'

export interface Io {
  stdout: (text: string) => void
  stderr: (text: string) => void
}

/** Exit status: 0 every MUST holds, 1 a MUST fails, 2 usage error. */
export async function main(argv: string[], io: Io): Promise<number> {
  let command: ReturnType<typeof parseCli>
  try {
    command = parseCli(argv)
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    io.stderr(`stripe402-conformance: ${error.message}\n\n${USAGE}\n`)
    return 2
  }
  if (command.kind === 'help') {
    io.stdout(`${USAGE}\n`)
    return 0
  }
  let report: Awaited<ReturnType<typeof auditServer>>
  try {
    report = await auditServer(command.options)
  } catch (error) {
    if (!(error instanceof TypeError)) throw error
    io.stderr(`stripe402-conformance: ${error.message}\n`)
    return 2
  }
  const render = { table: renderTable, json: renderJson, markdown: renderMarkdown }[command.format]
  io.stdout(render(report))
  return report.ok ? 0 : 1
}
