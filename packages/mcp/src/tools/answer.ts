/** What every agent tool answers, whatever framework carries it: words for a model, and the same as data. */
import { formatUnits } from '@stripe402/protocol'

export interface ToolAnswer {
  /** True when the tool did not do what was asked (refused, failed, unreachable): the text says why. */
  isError: boolean
  /** What a model reads. */
  text: string
  /** The same facts as data. */
  data: Record<string, unknown>
}

/** `$0.05 (500 units)`; units alone when the currency is unknown. */
export function money(units: number, currency: string | undefined): string {
  if (currency === undefined) return `${units} units`
  try {
    return `${formatUnits(units, currency)} (${units} units)`
  } catch {
    return `${units} units of ${currency.toUpperCase()}`
  }
}

export const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message : String(error)
