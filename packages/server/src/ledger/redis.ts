/** Ledger on Redis (ioredis, standalone or Cluster): one Lua script per operation, keys hash-tagged per account. */
import { createHash } from 'node:crypto'
import { toLedgerError } from './redis-errors'
import * as scripts from './redis-scripts'
import type { LuaScript } from './redis-scripts'
import { type QueuedSpend, SpendBatcher } from './spend-batcher'
import type {
  ClawbackInput,
  CreditAndSpendInput,
  CreditInput,
  HeldDebit,
  HeldDebits,
  JournalEntry,
  JournalKind,
  Ledger,
  SpendInput,
  SpendResult,
} from './types'
import {
  checkClawback,
  checkCredit,
  checkCreditAndSpend,
  checkCurrency,
  checkHeld,
  checkId,
  checkLimit,
  checkMs,
  checkPendingValue,
  isJournalKind,
} from './validate'

/**
 * The part of an ioredis `Redis` or `Cluster` the ledger uses: every operation is a script.
 * Typed structurally so that ioredis is not needed to compile against this package.
 */
export interface RedisClientLike {
  evalsha(sha1: string, numkeys: number, ...args: (string | number)[]): Promise<unknown>
  eval(script: string, numkeys: number, ...args: (string | number)[]): Promise<unknown>
}

export interface RedisLedgerOptions {
  /** Prefix of every key. Default `stripe402`. Must not contain `{` or `}` (they would move the hash tag). */
  prefix?: string
}

/** How long a sweep's claim on a held debit lasts: one whose sweeper died comes due again after it. */
const SWEEP_CLAIM_MS = 30_000

/** A debit's answer from a batch: its result, or the error that fails it alone. */
type Answer = { ok: true; result: SpendResult } | { ok: false; error: unknown }

/** The 3 values per debit a batch script returns (PACK_FN), as each debit's answer. */
function unpack(reply: unknown, batch: QueuedSpend[]): Answer[] {
  let values: unknown[]
  try {
    values = list(reply)
  } catch (error) {
    return batch.map(() => ({ ok: false, error }))
  }
  return batch.map((op, i): Answer => {
    const outcome = values[i * 3]
    try {
      if (outcome === 'error') throw toLedgerError(new Error(String(values[i * 3 + 2])))
      return {
        ok: true,
        result: spendResult([outcome, values[i * 3 + 1], values[i * 3 + 2]], op.input.accountId),
      }
    } catch (error) {
      return { ok: false, error }
    }
  })
}

/** Most debits one SPEND_BATCH runs: Redis runs nothing else meanwhile, so a script stays short. */
const MAX_SPEND_BATCH = 128

/** A held debit's member of P:held: everything needed to give it back, and the same string for the same debit. */
function heldMember(debit: HeldDebit): string {
  return JSON.stringify([debit.accountId, debit.currency, debit.units, debit.ref])
}

function parseHeldMember(member: string): HeldDebit {
  const [accountId, currency, units, ref] = list(JSON.parse(member))
  return {
    accountId: String(accountId),
    currency: String(currency),
    units: int(units),
    ref: String(ref),
  }
}

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex')

function int(value: unknown): number {
  const n = typeof value === 'string' ? Number(value) : value
  if (typeof n !== 'number' || !Number.isSafeInteger(n))
    throw new Error(
      `stripe402 ledger: Redis returned ${String(value)} where a whole number was expected`,
    )
  return n
}

function spendResult(reply: unknown[], accountId: string): SpendResult {
  const [outcome, balance, entryId] = reply
  if (outcome === 'ok')
    return { ok: true, accountId, balance: int(balance), entryId: String(entryId) }
  if (outcome === 'insufficient_credits')
    return { ok: false, reason: outcome, accountId, balance: int(balance) }
  if (
    outcome === 'unknown_credential' ||
    outcome === 'credential_revoked' ||
    outcome === 'account_frozen'
  ) {
    return { ok: false, reason: outcome, accountId }
  }
  throw new Error(`stripe402 ledger: unexpected spend outcome ${String(outcome)}`)
}

function list(value: unknown): unknown[] {
  if (!Array.isArray(value)) throw new Error('stripe402 ledger: Redis returned an unexpected reply')
  return value
}

/**
 * Each operation is one Lua script sent with EVALSHA: atomic, one round trip (the first call
 * after a Redis restart or SCRIPT FLUSH costs one more, an EVAL that reloads the script). On
 * standalone Redis, the spends of one event-loop turn share one script run (SPEND_BATCH).
 * All keys of an account carry the hash tag `{accountId}`, so each script stays in one slot and
 * the ledger runs on Redis Cluster. See `redis-scripts.ts` for the key layout.
 *
 * Credentials: the engine always passes the account with a credential hash, so spend checks it
 * inside the account's hash. `revokeCredential(hash)` has no account, so issuing also writes a
 * small global index `P:credidx:<hash>` → account: issue and revoke cost two round trips
 * (index, then account). Neither is on the hot path.
 *
 * Configure the client so an outage is a fast 503, not a hang: `RedisLedger.clientOptions`
 * (`enableOfflineQueue: false`, `maxRetriesPerRequest: 1`, `commandTimeout: 2000`,
 * `autoResendUnfulfilledCommands: false`: a debit whose reply was lost must not run again by
 * itself after a reconnect, or its first run would escape the engine's repair). With ioredis
 * defaults a call waits through ~20 reconnection attempts before failing. With the offline queue
 * off, wait for the client's `ready` event before serving. A command timeout is ambiguous (the
 * script may still have run), as with any remote store.
 */
export class RedisLedger implements Ledger {
  readonly kind = 'redis'
  readonly prefix: string
  /** An ioredis Cluster: a script may touch one slot only, so a held debit's record is a command of its own. */
  private readonly cluster: boolean

  /** Client options that make an outage fail fast (spread them into `new Redis(url, { ... })`). */
  static readonly clientOptions = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 2_000,
    autoResendUnfulfilledCommands: false,
    enableAutoPipelining: true,
  } as const

  constructor(
    private readonly client: RedisClientLike,
    options: RedisLedgerOptions = {},
  ) {
    const prefix = options.prefix ?? 'stripe402'
    if (prefix.length === 0 || /[{}]/.test(prefix))
      throw new TypeError(
        `stripe402 ledger: Redis prefix must be non-empty and free of { and }, got ${JSON.stringify(prefix)}`,
      )
    this.prefix = prefix
    this.cluster = (client as { isCluster?: unknown }).isCluster === true
  }

  /**
   * The debits asked for in one turn of the event loop go to Redis together. Standalone: one
   * SPEND_BATCH script (one command, one reply). Cluster, where a script stays in one slot: one
   * SPEND_ACCOUNT_BATCH per account, and one HOLD for all of the turn's held debits, sent first in
   * the same round trip. Each debit is atomic with its own answer, and fails alone.
   */
  spend(input: SpendInput): Promise<SpendResult> {
    return this.spends.add(input)
  }

  /** The spends of this turn, waiting for their batch. */
  private readonly spends = new SpendBatcher((batch) => {
    if (this.cluster) void this.sendClusterSpends(batch)
    else this.sendSpends(batch)
  }, MAX_SPEND_BATCH)

  private sendSpends(batch: QueuedSpend[]): void {
    const keys = [this.heldKey]
    const args: (string | number)[] = []
    const at = Date.now()
    for (const { input } of batch) {
      const key = this.accountKey(input.accountId)
      const { holdUntil } = input
      keys.push(key, `${key}:j`, `${key}:r`)
      args.push(
        input.currency,
        input.units,
        input.ref,
        input.credentialHash ?? '',
        at,
        holdUntil ?? '',
        holdUntil === undefined ? '' : heldMember(input),
      )
    }
    this.run(scripts.SPEND_BATCH, keys, args).then(
      (reply) => {
        const answers = unpack(reply, batch)
        batch.forEach((op, i) => {
          const answer = answers[i] as Answer
          if (answer.ok) op.resolve(answer.result)
          else op.reject(answer.error)
        })
      },
      (err: unknown) => {
        for (const op of batch) op.reject(err)
      },
    )
  }

  /**
   * Cluster: HOLD for the turn's held debits and one script per account, all in one round trip.
   * As with a single held debit there, a failure of either is the debit's failure (in doubt), and
   * a held debit refused has its hold released before it is answered.
   */
  private async sendClusterSpends(batch: QueuedSpend[]): Promise<void> {
    const holdArgs: (string | number)[] = []
    const byAccount = new Map<string, QueuedSpend[]>()
    for (const op of batch) {
      const { holdUntil, accountId } = op.input
      if (holdUntil !== undefined) holdArgs.push(holdUntil, heldMember(op.input))
      const ops = byAccount.get(accountId)
      if (ops) ops.push(op)
      else byAccount.set(accountId, [op])
    }
    const hold =
      holdArgs.length > 0 ? this.run(scripts.HOLD, [this.heldKey], holdArgs) : Promise.resolve()
    const at = Date.now()
    const groups = [...byAccount].map(([accountId, ops]) => ({
      ops,
      reply: this.run(
        scripts.SPEND_ACCOUNT_BATCH,
        this.accountKeys(accountId),
        ops.flatMap(({ input }) => [
          input.currency,
          input.units,
          input.ref,
          input.credentialHash ?? '',
          at,
        ]),
      ),
    }))
    const [held, ...replies] = await Promise.allSettled([hold, ...groups.map((g) => g.reply)])
    const answers = new Map<QueuedSpend, Answer>()
    groups.forEach(({ ops }, g) => {
      const reply = replies[g] as PromiseSettledResult<unknown>
      const unpacked =
        reply.status === 'fulfilled'
          ? unpack(reply.value, ops)
          : ops.map((): Answer => ({ ok: false, error: reply.reason }))
      ops.forEach((op, i) => {
        const answer = unpacked[i] as Answer
        // A debit whose hold may be missing is in doubt, even if it was taken.
        answers.set(
          op,
          answer.ok && held.status === 'rejected' && op.input.holdUntil !== undefined
            ? { ok: false, error: held.reason }
            : answer,
        )
      })
    })
    const refused = batch.filter((op) => {
      const answer = answers.get(op)
      return op.input.holdUntil !== undefined && answer?.ok === true && !answer.result.ok
    })
    if (refused.length > 0) {
      try {
        await this.run(
          scripts.RELEASE_HELD,
          [this.heldKey],
          refused.map((op) => heldMember(op.input)),
        )
      } catch (error) {
        for (const op of refused) answers.set(op, { ok: false, error })
      }
    }
    for (const op of batch) {
      const answer = answers.get(op) as Answer
      if (answer.ok) op.resolve(answer.result)
      else op.reject(answer.error)
    }
  }

  /**
   * A credit and held spend on Cluster: the hold goes to P:held by a command sent before the
   * account's script, in the same round trip (they are in different slots), as for a turn's spends
   * (sendClusterSpends). A failure of either is the call's failure, which the engine treats as a
   * debit in doubt. A spend refused releases its hold.
   */
  private async held<T extends { spend: SpendResult }>(
    debit: HeldDebit,
    holdUntil: number,
    reply: Promise<unknown>,
    parse: (reply: unknown) => T,
  ): Promise<T> {
    const member = heldMember(debit)
    const hold = this.run(scripts.HOLD, [this.heldKey], [holdUntil, member])
    const [held, answer] = await Promise.allSettled([hold, reply])
    if (answer.status === 'rejected') throw answer.reason
    if (held.status === 'rejected') throw held.reason
    const result = parse(answer.value)
    if (!result.spend.ok) await this.run(scripts.RELEASE_HELD, [this.heldKey], [member])
    return result
  }

  readonly holds: HeldDebits = {
    settle: async (settlements) => {
      checkHeld(settlements)
      if (settlements.length === 0) return 0
      let reversed = 0
      // Reverse first, release second: a crash in between leaves a hold the sweep settles the same way.
      for (const item of settlements) {
        if (item.reverse && (await this.reverse(item))) reversed++
      }
      await this.run(scripts.RELEASE_HELD, [this.heldKey], settlements.map(heldMember))
      return reversed
    },
    extend: async (debits, holdUntil) => {
      checkHeld(debits)
      checkMs(holdUntil, 'holdUntil')
      if (debits.length === 0) return
      await this.run(scripts.EXTEND_HELD, [this.heldKey], [holdUntil, ...debits.map(heldMember)])
    },
    sweep: async (now, limit) => {
      checkMs(now, 'now')
      checkLimit(limit)
      const claimed = list(
        await this.run(scripts.CLAIM_HELD, [this.heldKey], [now, limit, now + SWEEP_CLAIM_MS]),
      )
      const swept: HeldDebit[] = []
      for (const member of claimed) {
        const debit = parseHeldMember(String(member))
        if (await this.reverse(debit)) swept.push(debit)
        await this.run(scripts.RELEASE_HELD, [this.heldKey], [String(member)])
      }
      return swept
    },
    count: async () => int(await this.run(scripts.COUNT_HELD, [this.heldKey], [])),
  }

  /** Gives a debit back once, if it was applied. */
  private async reverse(debit: HeldDebit): Promise<boolean> {
    const reply = await this.run(scripts.REVERSE_HELD, this.accountKeys(debit.accountId), [
      debit.currency,
      debit.units,
      debit.ref,
      Date.now(),
    ])
    return reply === 1
  }

  private get heldKey(): string {
    return `${this.prefix}:held`
  }

  async creditAndSpend(
    input: CreditAndSpendInput,
  ): Promise<{ applied: boolean; spend: SpendResult }> {
    checkCreditAndSpend(input)
    const { credit, spend } = input
    const { accountId, currency } = credit
    const args = [
      currency,
      credit.units,
      credit.kind,
      credit.ref,
      Date.now(),
      spend.units,
      spend.ref,
      spend.credentialHash ?? '',
    ]
    const parse = (reply: unknown) => {
      const [applied, ...spent] = list(reply)
      return { applied: applied === 1, spend: spendResult(spent, accountId) }
    }
    const keys = this.accountKeys(accountId)
    if (spend.holdUntil === undefined)
      return parse(await this.run(scripts.CREDIT_AND_SPEND, keys, args))
    const debit = { ...spend, accountId, currency }
    if (!this.cluster)
      return parse(
        await this.run(
          scripts.CREDIT_AND_SPEND_HELD,
          [...keys, this.heldKey],
          [...args, spend.holdUntil, heldMember(debit)],
        ),
      )
    const run = this.run(scripts.CREDIT_AND_SPEND, keys, args)
    return this.held(debit, spend.holdUntil, run, parse)
  }

  async credit(input: CreditInput): Promise<{ applied: boolean; balance: number }> {
    checkCredit(input)
    const [applied, balance] = list(
      await this.run(scripts.CREDIT, this.accountKeys(input.accountId), [
        input.currency,
        input.units,
        input.kind,
        input.ref,
        Date.now(),
      ]),
    )
    return { applied: applied === 1, balance: int(balance) }
  }

  async clawback(
    input: ClawbackInput,
  ): Promise<{ applied: boolean; taken: number; balance: number }> {
    checkClawback(input)
    const [applied, taken, balance] = list(
      await this.run(scripts.CLAWBACK, this.accountKeys(input.accountId), [
        input.currency,
        input.units,
        input.kind,
        input.ref,
        Date.now(),
      ]),
    )
    return { applied: applied === 1, taken: int(taken), balance: int(balance) }
  }

  async balance(accountId: string, currency: string): Promise<number> {
    checkId(accountId, 'accountId')
    checkCurrency(currency)
    return int(await this.run(scripts.BALANCE, [this.accountKey(accountId)], [currency]))
  }

  async shortfall(accountId: string, currency: string): Promise<number> {
    checkId(accountId, 'accountId')
    checkCurrency(currency)
    return int(await this.run(scripts.SHORTFALL, [this.accountKey(accountId)], [currency]))
  }

  async hasHistory(accountId: string): Promise<boolean> {
    checkId(accountId, 'accountId')
    const key = this.accountKey(accountId)
    return (await this.run(scripts.HAS_HISTORY, [key, `${key}:j`], [])) === 1
  }

  async journal(accountId: string, currency?: string): Promise<JournalEntry[]> {
    checkId(accountId, 'accountId')
    if (currency !== undefined) checkCurrency(currency)
    const lines = list(await this.run(scripts.JOURNAL, [`${this.accountKey(accountId)}:j`], []))
    const entries = lines.map((line): JournalEntry => {
      const [id, entryCurrency, kind, units, ref, balanceAfter, at] = list(JSON.parse(String(line)))
      if (!isJournalKind(kind))
        throw new Error(`stripe402 ledger: unknown journal kind ${String(kind)}`)
      return {
        id: String(id),
        accountId,
        currency: String(entryCurrency),
        kind,
        units: int(units),
        ref: String(ref),
        balanceAfter: int(balanceAfter),
        at: int(at),
      }
    })
    return currency === undefined ? entries : entries.filter((e) => e.currency === currency)
  }

  async hasEntry(accountId: string, kind: JournalKind, ref: string): Promise<boolean> {
    checkId(accountId, 'accountId')
    return (
      (await this.run(scripts.HAS_ENTRY, [`${this.accountKey(accountId)}:r`], [kind, ref])) === 1
    )
  }

  async issueCredential(credentialHash: string, accountId: string): Promise<void> {
    checkId(credentialHash, 'credentialHash')
    checkId(accountId, 'accountId')
    // Index first: a hash already bound to another account is never bound to this one too.
    const owner = await this.run(
      scripts.BIND_CREDENTIAL,
      [this.credentialIndexKey(credentialHash)],
      [accountId],
    )
    if (owner !== accountId) return
    await this.run(scripts.ISSUE_CREDENTIAL, [this.accountKey(accountId)], [credentialHash])
  }

  async revokeCredential(credentialHash: string): Promise<boolean> {
    checkId(credentialHash, 'credentialHash')
    const owner = await this.run(
      scripts.CREDENTIAL_OWNER,
      [this.credentialIndexKey(credentialHash)],
      [],
    )
    if (typeof owner !== 'string') return false
    return (
      (await this.run(scripts.REVOKE_CREDENTIAL, [this.accountKey(owner)], [credentialHash])) === 1
    )
  }

  async setFrozen(accountId: string, frozen: boolean): Promise<void> {
    checkId(accountId, 'accountId')
    await this.run(scripts.SET_FROZEN, [this.accountKey(accountId)], [frozen ? '1' : '0'])
  }

  async acquireLock(key: string, ttlMs: number): Promise<string | null> {
    checkId(key, 'lock key')
    checkMs(ttlMs, 'ttlMs')
    // Unguessable, so no other holder can release a lock it does not own.
    const token = globalThis.crypto.randomUUID()
    return (await this.run(
      scripts.ACQUIRE_LOCK,
      [`${this.prefix}:lock:${key}`],
      [token, ttlMs],
    )) === 1
      ? token
      : null
  }

  async renewLock(key: string, token: string, ttlMs: number): Promise<boolean> {
    checkId(key, 'lock key')
    checkMs(ttlMs, 'ttlMs')
    return (
      (await this.run(scripts.RENEW_LOCK, [`${this.prefix}:lock:${key}`], [token, ttlMs])) === 1
    )
  }

  async releaseLock(key: string, token: string): Promise<void> {
    checkId(key, 'lock key')
    await this.run(scripts.RELEASE_LOCK, [`${this.prefix}:lock:${key}`], [token])
  }

  async setPending(key: string, value: string, ttlMs: number): Promise<void> {
    checkId(key, 'pending key')
    checkPendingValue(value)
    checkMs(ttlMs, 'ttlMs')
    await this.run(scripts.SET_PENDING, [`${this.prefix}:pending:${key}`], [value, ttlMs])
  }

  async getPending(key: string): Promise<string | null> {
    checkId(key, 'pending key')
    const value = await this.run(scripts.GET_PENDING, [`${this.prefix}:pending:${key}`], [])
    return typeof value === 'string' ? value : null
  }

  async clearPending(key: string, value: string): Promise<void> {
    checkId(key, 'pending key')
    await this.run(scripts.CLEAR_PENDING, [`${this.prefix}:pending:${key}`], [value])
  }

  async hit(key: string, windowMs: number): Promise<{ count: number; resetMs: number }> {
    checkId(key, 'counter key')
    checkMs(windowMs, 'windowMs')
    const now = Date.now()
    const start = now - (now % windowMs)
    const resetMs = start + windowMs - now
    const count = await this.run(scripts.HIT, [`${this.prefix}:hit:${key}:${start}`], [resetMs])
    return { count: int(count), resetMs }
  }

  /** The client belongs to the caller, who closes it. */
  async close(): Promise<void> {}

  // `P:{A}`, `P:{A}:j`, `P:{A}:r`. Fixed suffixes with no `}` keep two accounts' keys from ever colliding.
  private accountKey(accountId: string): string {
    return `${this.prefix}:{${accountId}}`
  }

  private accountKeys(accountId: string): string[] {
    const key = this.accountKey(accountId)
    return [key, `${key}:j`, `${key}:r`]
  }

  private credentialIndexKey(credentialHash: string): string {
    return `${this.prefix}:credidx:${credentialHash}`
  }

  private readonly shas = new Map<LuaScript, string>()

  private async run(
    script: LuaScript,
    keys: string[],
    args: (string | number)[],
  ): Promise<unknown> {
    let sha = this.shas.get(script)
    if (sha === undefined) {
      sha = sha1(script.lua)
      this.shas.set(script, sha)
    }
    if (script.keys !== 'variable' && script.keys !== keys.length)
      throw new Error(`stripe402 ledger: a script of ${script.keys} keys was given ${keys.length}`)
    try {
      try {
        return await this.client.evalsha(sha, keys.length, ...keys, ...args)
      } catch (err) {
        // Redis restarted or its script cache was flushed: EVAL runs the script and caches it again.
        if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err
        return await this.client.eval(script.lua, keys.length, ...keys, ...args)
      }
    } catch (err) {
      throw toLedgerError(err)
    }
  }
}
