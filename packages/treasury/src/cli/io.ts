/** What a CLI command writes to and reads from, so tests run commands in process. */
export interface Io {
  stdout: { write(text: string): unknown }
  stderr: { write(text: string): unknown }
  env: Record<string, string | undefined>
  /** Resolves when the process is asked to stop (SIGINT, SIGTERM); `serve` waits on it. */
  stopped?: Promise<void>
}

/** A mistake in how the command was called: exit 1 with the message. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

/** Units (1 unit = 1/10,000 of the major unit) given on the command line. */
export function unitsArg(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  if (!/^\d{1,15}$/.test(value))
    throw new UsageError(`--${name} takes a whole number of units (500 = $0.05), got "${value}".`)
  return Number(value)
}
