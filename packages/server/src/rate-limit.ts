/** Card-testing defences: caps on failed payments per address and per card, and on top-ups per account. */
import { addressKey } from './address-key'
import type { ResolvedRateLimits } from './config/resolve'
import type { Ledger } from './ledger/types'
import type { LimitName } from './limit-name'

/** Blocks remembered per process; bounded so rotating addresses cannot grow it without end. */
const MAX_BLOCKS = 10_000

/**
 * Counters live in the ledger (`hit`), so every process shares them. The ledger has no
 * read-only peek, so a process remembers a block once a counter it bumped crosses the
 * limit: checks before an attempt cost nothing, counting costs a ledger call only when a
 * payment fails (or a top-up is charged). Across N processes a window admits at most
 * `limit + N - 1` failures. Nothing here runs on the credit path.
 */
export class AbuseGuard {
  private readonly blocks = new Map<string, number>()

  constructor(
    private readonly ledger: Ledger,
    private readonly limits: ResolvedRateLimits,
  ) {}

  /** Seconds to wait when `subject` is blocked under `name`, else undefined. No I/O. */
  blocked(name: LimitName, subject: string | undefined): number | undefined {
    if (subject === undefined || !this.limitFor(name)) return undefined
    const key = counterKey(name, subject)
    const until = this.blocks.get(key)
    if (until === undefined) return undefined
    const left = until - Date.now()
    if (left > 0) return Math.ceil(left / 1000)
    this.blocks.delete(key)
    return undefined
  }

  /** Counts a failed payment; the failure that reaches the limit blocks further attempts for the window. */
  async recordFailure(
    name: 'failed_payments_per_address' | 'failed_payments_per_card',
    subject: string | undefined,
  ): Promise<void> {
    const limit = this.limitFor(name)
    if (subject === undefined || !limit) return
    const key = counterKey(name, subject)
    const { count, resetMs } = await this.ledger.hit(key, limit.windowMs)
    if (count >= limit.limit) this.block(key, resetMs)
  }

  /** Counts a top-up about to be charged; returns seconds to wait when it is one too many. */
  async countTopUp(accountId: string): Promise<number | undefined> {
    const limit = this.limitFor('top_ups_per_account')
    if (!limit) return undefined
    const key = counterKey('top_ups_per_account', accountId)
    const { count, resetMs } = await this.ledger.hit(key, limit.windowMs)
    if (count <= limit.limit) return undefined
    this.block(key, resetMs)
    return Math.max(1, Math.ceil(resetMs / 1000))
  }

  private limitFor(name: LimitName) {
    return name === 'failed_payments_per_address'
      ? this.limits.failedPaymentsPerAddress
      : name === 'failed_payments_per_card'
        ? this.limits.failedPaymentsPerCard
        : this.limits.topUpsPerAccount
  }

  private block(key: string, resetMs: number): void {
    if (this.blocks.size >= MAX_BLOCKS) {
      const now = Date.now()
      for (const [k, until] of this.blocks) if (until <= now) this.blocks.delete(k)
      // Oldest first: a Map iterates in insertion order, and deleting while iterating is safe.
      for (const k of this.blocks.keys()) {
        if (this.blocks.size < MAX_BLOCKS) break
        this.blocks.delete(k)
      }
    }
    this.blocks.delete(key)
    this.blocks.set(key, Date.now() + Math.max(1000, resetMs))
  }
}

function counterKey(name: LimitName, subject: string): string {
  // One IPv6 /64 is one caller, and IPv4-mapped IPv6 is its IPv4 address.
  const key = name === 'failed_payments_per_address' ? addressKey(subject) : subject.slice(0, 128)
  return `ratelimit:${name}:${key}`
}
