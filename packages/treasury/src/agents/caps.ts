/** An agent's caps and what they leave it: the most its next call may cost, per currency. */

/** Limits in units (1 unit = 1/10,000 of the major currency unit) on what an agent spends in one currency. */
export interface Caps {
  /** The most one call may cost. */
  perCall?: number
  /** Per UTC day. */
  daily?: number
  /** Per UTC month. */
  monthly?: number
  /** Ever. */
  total?: number
}

/** Caps per lower-case ISO currency code; a currency not listed is never spent in (fail closed). */
export type CapsByCurrency = Record<string, Caps>

/** What an agent spent in one currency, holds of calls still under way included. */
export interface SpendTotals {
  daily: number
  monthly: number
  total: number
}

/** What an agent may still spend in one currency: the least of what each cap leaves. */
export interface Remaining {
  perCall?: number
  daily?: number
  monthly?: number
  total?: number
  /** The most the next call may cost. */
  next: number
}

export function startOfUtcDay(now: number): number {
  const d = new Date(now)
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate())
}

export function startOfUtcMonth(now: number): number {
  const d = new Date(now)
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)
}

/** What the caps leave, given what was spent; never negative. */
export function remaining(caps: Caps, spent: SpendTotals): Remaining {
  const left = (cap: number | undefined, used: number) =>
    cap === undefined ? undefined : Math.max(0, cap - used)
  const out: Remaining = { next: Number.MAX_SAFE_INTEGER }
  const parts: Array<[keyof Omit<Remaining, 'next'>, number | undefined]> = [
    ['perCall', caps.perCall],
    ['daily', left(caps.daily, spent.daily)],
    ['monthly', left(caps.monthly, spent.monthly)],
    ['total', left(caps.total, spent.total)],
  ]
  for (const [name, value] of parts) {
    if (value === undefined) continue
    out[name] = value
    out.next = Math.min(out.next, value)
  }
  return out
}

/** The most the next call may cost in each currency the agent may spend in. */
export function ceilings(
  caps: CapsByCurrency,
  spent: (currency: string) => SpendTotals,
): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [currency, limits] of Object.entries(caps))
    out[currency] = remaining(limits, spent(currency)).next
  return out
}

export const NO_SPEND: SpendTotals = { daily: 0, monthly: 0, total: 0 }
