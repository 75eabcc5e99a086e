/** The wallet's saved shape, and the check that a loaded one really is a wallet. */
import { Stripe402ClientError } from '../errors'

/** One line of the spend journal. */
export interface JournalEntry {
  id: string
  /** Epoch milliseconds. */
  at: number
  /** `top_up`: money charged to the card; `call`: credits spent on a call. */
  kind: 'top_up' | 'call'
  origin: string
  /** `METHOD /path`. */
  route: string
  currency: string
  /** Units charged (top-up) or debited (call; 0 when the server did not say). */
  units: number
  /** Credits left at the origin afterwards, from the `payment-response` header. */
  creditsRemaining?: number
  /** The PaymentIntent id of a top-up. */
  chargeId?: string
  /** A top-up sent whose outcome is not known yet; it counts against budgets until proven otherwise. */
  pending?: boolean
}

/** The credential a server issued for an origin: it spends that origin's credits. */
export interface Credential {
  clientId: string
  currency: string
  creditsRemaining: number
  updatedAt: number
}

/** Running totals per (origin, currency); they outlive pruned journal lines. */
export interface OriginStats {
  /** Units charged to the card (top-ups). */
  spent: number
  /** Units of credits spent on calls. */
  used: number
  topUps: number
  calls: number
}

/**
 * A top-up sent whose answer said nothing about the charge (a 5xx, a network error, a crash):
 * the next top-up for the origin and currency sends the same key, units and PaymentMethod,
 * so a server that honours `idempotencyKey` replays it instead of charging again.
 */
export interface PendingTopUp {
  idempotencyKey: string
  units: number
  paymentMethodId: string
  /** The journal line that already counts it against budgets. */
  entryId: string
  /** Epoch milliseconds of the first send (Stripe forgets idempotency keys after 24 hours). */
  at: number
}

/** A paid route from the origin's price list (`GET /.well-known/stripe402`). */
export interface ListedRoute {
  /** Upper case, or `*` for every method. */
  method: string
  /** Literal segments, `:name` parameters and a trailing `*`. */
  path: string
  amount: number | 'dynamic'
  currency: string
}

export interface OriginRecord {
  credential?: Credential
  /** The origin's price list, when the client fetched it: its routes are known to be priced. */
  priceList?: { routes: ListedRoute[]; seenAt: number }
  /** Per currency: the top-up to replay before any new one. */
  pendingTopUps?: Record<string, PendingTopUp>
  /** Optional payload fields the server said it honours, from its last challenge. */
  extensions?: string[]
  /** The Stripe publishable key the origin last named in a challenge paid within policy: a change is reported. */
  publishableKey?: string
  /** Prices seen (and accepted) per `METHOD /path`. */
  prices: Record<string, { amount: number; currency: string; seenAt: number }>
  stats: Record<string, OriginStats>
}

export interface WalletSnapshot {
  version: 1
  origins: Record<string, OriginRecord>
  /** Recent journal lines, oldest first (see `prune`). */
  journal: JournalEntry[]
  /** Next journal id. */
  seq: number
  /** New on every save: a writer that reads back its own knows nobody else wrote since. */
  rev?: string
  /**
   * Per currency: when the wallet last took a server's word that a top-up was not charged (a 402
   * such as `card_declined`). That word is taken once per UTC day and currency; see `takeRefusal`.
   */
  refusalsTaken?: Record<string, number>
}

export function emptySnapshot(): WalletSnapshot {
  return { version: 1, origins: {}, journal: [], seq: 0 }
}

/** Accepts a loaded value only if it is a wallet; a broken one is an error, not an empty wallet (that would reset budgets). */
export function parseSnapshot(value: unknown): WalletSnapshot {
  if (value === undefined || value === null) return emptySnapshot()
  const fail = (why: string): never => {
    throw new Stripe402ClientError(
      'store_corrupt',
      `The stored wallet is not valid (${why}); fix or remove it.`,
    )
  }
  if (!isObject(value) || value.version !== 1) fail('unknown version')
  const v = value as Record<string, unknown>
  if (!isObject(v.origins)) fail('origins')
  if (!Array.isArray(v.journal)) fail('journal')
  if (!isCount(v.seq)) fail('seq')
  for (const [origin, record] of Object.entries(v.origins as Record<string, unknown>)) {
    if (!isObject(record) || !isObject(record.prices) || !isObject(record.stats))
      fail(`origin ${origin}`)
    const r = record as Record<string, unknown>
    const credential = r.credential
    if (credential !== undefined) {
      if (
        !isObject(credential) ||
        typeof credential.clientId !== 'string' ||
        typeof credential.currency !== 'string' ||
        !isCount(credential.creditsRemaining)
      ) {
        fail(`credential of ${origin}`)
      }
    }
    for (const stats of Object.values(r.stats as Record<string, unknown>)) {
      if (
        !isObject(stats) ||
        !isCount(stats.spent) ||
        !isCount(stats.used) ||
        !isCount(stats.topUps) ||
        !isCount(stats.calls)
      ) {
        fail(`stats of ${origin}`)
      }
    }
    for (const price of Object.values(r.prices as Record<string, unknown>)) {
      if (!isObject(price) || !isCount(price.amount) || typeof price.currency !== 'string')
        fail(`prices of ${origin}`)
    }
    if (r.priceList !== undefined) {
      const list = r.priceList
      const ok =
        isObject(list) &&
        isCount(list.seenAt) &&
        Array.isArray(list.routes) &&
        list.routes.every(
          (route: unknown) =>
            isObject(route) &&
            typeof route.method === 'string' &&
            typeof route.path === 'string' &&
            typeof route.currency === 'string' &&
            (route.amount === 'dynamic' || isCount(route.amount)),
        )
      if (!ok) fail(`price list of ${origin}`)
    }
    if (r.publishableKey !== undefined && typeof r.publishableKey !== 'string')
      fail(`publishable key of ${origin}`)
    if (r.pendingTopUps !== undefined) {
      if (!isObject(r.pendingTopUps)) fail(`pending top-ups of ${origin}`)
      for (const p of Object.values(r.pendingTopUps as Record<string, unknown>)) {
        const ok =
          isObject(p) &&
          typeof p.idempotencyKey === 'string' &&
          isCount(p.units) &&
          typeof p.paymentMethodId === 'string' &&
          typeof p.entryId === 'string' &&
          isCount(p.at)
        if (!ok) fail(`pending top-ups of ${origin}`)
      }
    }
  }
  if (v.refusalsTaken !== undefined) {
    if (!isObject(v.refusalsTaken) || !Object.values(v.refusalsTaken).every(isCount))
      fail('refusals taken')
  }
  for (const entry of v.journal as unknown[]) {
    if (
      !isObject(entry) ||
      (entry.kind !== 'top_up' && entry.kind !== 'call') ||
      typeof entry.origin !== 'string' ||
      typeof entry.currency !== 'string' ||
      !isCount(entry.units) ||
      !isCount(entry.at)
    ) {
      fail('journal entry')
    }
  }
  return value as WalletSnapshot
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}
