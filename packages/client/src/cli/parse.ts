/** node:util parseArgs, with its errors rewritten for people: one line, the flag named, the closest known flag suggested. */
import type { ParseArgsConfig } from 'node:util'
import { UsageError } from './card'

type Options = NonNullable<ParseArgsConfig['options']>

/** The UsageError for what parseArgs threw on `stripe402 <command>` with these options. */
export function usageErrorFrom(command: string, error: unknown, options: Options): UsageError {
  return new UsageError(explain(command, error, options))
}

function explain(command: string, error: unknown, options: Options): string {
  const { code, message } = error as { code?: string; message?: string }
  const flag = /'(-[^' ]+)/.exec(message ?? '')?.[1]
  const help = `Run "stripe402 ${command} --help" for the options.`
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && flag) {
    const guess = closest(flag.replace(/^-+/, ''), Object.keys(options))
    return `unknown option ${flag}${guess ? ` (did you mean --${guess}?)` : ''}. ${help}`
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && flag) {
    const name = flag.replace(/^-+/, '')
    const long = options[name] ? `--${name}` : flag
    return options[name]?.type === 'boolean' ? `${long} takes no value.` : `${long} needs a value.`
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL')
    return `stripe402 ${command} takes no positional arguments. ${help}`
  return `${message ?? String(error)} ${help}`
}

/** The known flag nearest by edit distance, if it is near enough to be a typo of it. */
function closest(typed: string, known: string[]): string | undefined {
  let best: { name: string; distance: number } | undefined
  for (const name of known) {
    const distance = name.startsWith(typed) ? 1 : editDistance(typed, name)
    if (!best || distance < best.distance) best = { name, distance }
  }
  return best && best.distance <= Math.max(2, Math.floor(typed.length / 3)) ? best.name : undefined
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (row[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      )
    previous = row
  }
  return previous[b.length] ?? 0
}
