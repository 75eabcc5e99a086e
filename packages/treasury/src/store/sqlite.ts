/** The embedded default: the treasury's store in one SQLite file through `node:sqlite`, shareable by processes on one machine. */
import type { DatabaseSync, StatementSync } from 'node:sqlite'
import { ceilings, startOfUtcDay, startOfUtcMonth } from '../agents/caps'
import { agentFromRow, chargeFromRow, publicAgent, text, totalsFromRow } from './rows'
import {
  allTotalsQuery,
  callsQuery,
  chargedQuery,
  chargesQuery,
  spentQuery,
  totalsQuery,
} from './sql'
import {
  type Accounts,
  type AgentChanges,
  type AgentRecord,
  type AgentTotals,
  type CallRecord,
  type ChargeRecord,
  type LogFilter,
  type NewAgent,
  type ReserveInput,
  type ReserveResult,
  type Settlement,
  type StoredAgent,
  StoreConflictError,
  StoreUnavailableError,
  type TreasuryStore,
} from './types'
import {
  accountsFrom,
  groupCalls,
  groupTotals,
  logParams,
  Mutex,
  WALLET_LOCK_TTL_MS,
  walletLockWait,
} from './shared'

const SCHEMA = /* sql */ `
create table if not exists agents (
  id text primary key,
  name text not null unique,
  secret_hash text not null,
  caps text not null,
  allowed_origins text not null,
  allow_private integer not null default 0,
  expires_at integer,
  revoked_at integer,
  created_at integer not null,
  updated_at integer not null
) strict;

create table if not exists calls (
  id text primary key,
  agent_id text not null,
  at integer not null,
  method text not null,
  origin text not null,
  route text not null,
  settled_at integer,
  status integer,
  outcome text,
  reason text
) strict;
create index if not exists calls_agent_at on calls (agent_id, at);
create index if not exists calls_at on calls (at);
create index if not exists calls_open on calls (at) where settled_at is null;

-- One row per (call, currency): held while the call is under way, then spent.
create table if not exists call_amounts (
  call_id text not null,
  agent_id text not null,
  currency text not null,
  at integer not null,
  held integer not null check (held >= 0),
  spent integer not null check (spent >= 0),
  primary key (call_id, currency)
) strict, without rowid;
create index if not exists call_amounts_agent on call_amounts (agent_id, currency, at);

create table if not exists charges (
  id integer primary key,
  call_id text not null,
  agent_id text not null,
  origin text not null,
  currency text not null,
  units integer not null check (units > 0),
  charge_id text,
  at integer not null
) strict;
create index if not exists charges_at on charges (at);

create table if not exists wallet (id integer primary key check (id = 1), snapshot text not null) strict;
create table if not exists locks (key text primary key, token text not null, expires_at integer not null) strict;
`

const numbered = (sql: string) => sql.replace(/\$(\d+)/g, '?$1')

const SQL = {
  insertAgent: `insert into agents (id, name, secret_hash, caps, allowed_origins, allow_private,
      expires_at, revoked_at, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, null, ?, ?)`,
  agent: 'select * from agents where id = ?',
  agentByName: 'select * from agents where name = ?',
  agents: 'select * from agents order by created_at, id',
  updateAgent: `update agents set name = ?2, caps = ?3, allowed_origins = ?4, allow_private = ?5,
      expires_at = ?6, updated_at = ?7 where id = ?1`,
  revoke: 'update agents set revoked_at = coalesce(revoked_at, ?2), updated_at = ?2 where id = ?1',
  setSecret: 'update agents set secret_hash = ?2, updated_at = ?3 where id = ?1',
  totals: numbered(totalsQuery()),
  allTotals: numbered(allTotalsQuery()),
  spent: spentQuery(),
  charged: chargedQuery(),
  insertCall:
    'insert into calls (id, agent_id, at, method, origin, route) values (?, ?, ?, ?, ?, ?)',
  insertHold: `insert into call_amounts (call_id, agent_id, currency, at, held, spent)
      values (?, ?, ?, ?, ?, 0)`,
  openCall: 'select agent_id, at from calls where id = ? and settled_at is null',
  closeCall:
    'update calls set settled_at = ?2, status = ?3, outcome = ?4, reason = ?5 where id = ?1',
  releaseHolds: 'update call_amounts set held = 0 where call_id = ?',
  spend: `insert into call_amounts (call_id, agent_id, currency, at, held, spent) values (?1, ?2, ?3, ?4, 0, ?5)
      on conflict (call_id, currency) do update set spent = excluded.spent`,
  insertCharge: `insert into charges (call_id, agent_id, origin, currency, units, charge_id, at)
      values (?, ?, ?, ?, ?, ?, ?)`,
  abandonAmounts: `update call_amounts set spent = spent + held, held = 0
      where call_id in (select id from calls where settled_at is null and at < ?)`,
  abandonCalls: `update calls set settled_at = ?2, outcome = 'abandoned', reason = 'never_settled'
      where settled_at is null and at < ?1`,
  calls: numbered(callsQuery()),
  charges: numbered(chargesQuery()),
  loadWallet: 'select snapshot from wallet where id = 1',
  saveWallet: `insert into wallet (id, snapshot) values (1, ?)
      on conflict (id) do update set snapshot = excluded.snapshot`,
  acquireLock: `insert into locks (key, token, expires_at) values (?1, ?2, ?3)
      on conflict (key) do update set token = excluded.token, expires_at = excluded.expires_at
      where locks.expires_at <= ?4`,
  releaseLock: 'delete from locks where key = ? and token = ?',
} as const

type Statements = { [K in keyof typeof SQL]: StatementSync }

// SQLite primary result codes meaning the file cannot be used now: busy, locked, I/O, full, cannot open, read-only, corrupt.
const UNAVAILABLE_CODES = new Set([5, 6, 8, 10, 11, 13, 14, 15, 26])
const CONSTRAINT = 19

function storeError(err: unknown): unknown {
  if (!(err instanceof Error)) return err
  const { code, errcode } = err as Error & { code?: unknown; errcode?: unknown }
  if (typeof errcode === 'number' && (errcode & 0xff) === CONSTRAINT && /unique/i.test(err.message))
    return new StoreConflictError(err.message, { cause: err })
  const closed = code === 'ERR_INVALID_STATE'
  if (closed || (typeof errcode === 'number' && UNAVAILABLE_CODES.has(errcode & 0xff)))
    return new StoreUnavailableError(`treasury store: SQLite is unavailable: ${err.message}`, {
      cause: err,
    })
  return err
}

export interface SqliteStoreOptions {
  /** How long a write waits for another process's transaction on the file; default 5,000 ms. */
  busyTimeoutMs?: number
}

/**
 * Every write is one `BEGIN IMMEDIATE` transaction run synchronously: it takes the file's write
 * lock before reading, so the caps a reservation reads are the caps it holds against, in this
 * process and in every other process on the file. Commits are fsynced (`synchronous = full`):
 * a hold or a cost lost to a power cut would let an agent spend past its caps.
 */
export class SqliteStore implements TreasuryStore {
  readonly kind = 'sqlite'
  private readonly sql: Statements
  private readonly walletMutex = new Mutex()

  private constructor(private readonly db: DatabaseSync) {
    this.sql = Object.fromEntries(
      Object.entries(SQL).map(([name, sql]) => [name, db.prepare(sql)]),
    ) as Statements
  }

  /** Opens (creating it if needed) the file at `filename`, or a private in-memory database. */
  static async open(filename = ':memory:', options: SqliteStoreOptions = {}): Promise<SqliteStore> {
    const { DatabaseSync } = await import('node:sqlite').catch((cause: unknown) => {
      throw new Error('treasury store: SqliteStore needs node:sqlite (Node.js 22.13 or later)', {
        cause,
      })
    })
    let db: DatabaseSync
    try {
      db = new DatabaseSync(filename)
    } catch (err) {
      throw storeError(err)
    }
    try {
      db.exec(`pragma busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5_000))}`)
      db.exec('pragma journal_mode = wal')
      db.exec('pragma synchronous = full')
      // Several processes may create the tables at once: the write lock serialises them.
      db.exec('begin immediate')
      try {
        db.exec(SCHEMA)
        db.exec('commit')
      } catch (err) {
        rollback(db)
        throw err
      }
      return new SqliteStore(db)
    } catch (err) {
      db.close()
      throw storeError(err)
    }
  }

  async createAgent(agent: NewAgent): Promise<AgentRecord> {
    this.write(() =>
      this.sql.insertAgent.run(
        agent.id,
        agent.name,
        agent.secretHash,
        JSON.stringify(agent.caps),
        JSON.stringify(agent.allowedOrigins),
        agent.allowPrivateNetwork ? 1 : 0,
        agent.expiresAt,
        agent.createdAt,
        agent.createdAt,
      ),
    )
    return publicAgent({ ...agent, revokedAt: null, updatedAt: agent.createdAt })
  }

  async getAgent(id: string): Promise<StoredAgent | null> {
    const row = this.read(() => this.sql.agent.get(id))
    return row ? agentFromRow(row) : null
  }

  async findAgentByName(name: string): Promise<AgentRecord | null> {
    const row = this.read(() => this.sql.agentByName.get(name))
    return row ? publicAgent(agentFromRow(row)) : null
  }

  async listAgents(): Promise<AgentRecord[]> {
    return this.read(() => this.sql.agents.all()).map((row) => publicAgent(agentFromRow(row)))
  }

  async updateAgent(id: string, changes: AgentChanges, at: number): Promise<AgentRecord | null> {
    return this.write(() => {
      const row = this.sql.agent.get(id)
      if (!row) return null
      const next = { ...agentFromRow(row), ...changes, updatedAt: at }
      this.sql.updateAgent.run(
        id,
        next.name,
        JSON.stringify(next.caps),
        JSON.stringify(next.allowedOrigins),
        next.allowPrivateNetwork ? 1 : 0,
        next.expiresAt,
        at,
      )
      return publicAgent(next)
    })
  }

  async revokeAgent(id: string, at: number): Promise<AgentRecord | null> {
    return this.write(() => {
      if (this.sql.revoke.run(id, at).changes === 0) return null
      const row = this.sql.agent.get(id)
      return row ? publicAgent(agentFromRow(row)) : null
    })
  }

  async setSecretHash(id: string, secretHash: string, at: number): Promise<AgentRecord | null> {
    return this.write(() => {
      if (this.sql.setSecret.run(id, secretHash, at).changes === 0) return null
      const row = this.sql.agent.get(id)
      return row ? publicAgent(agentFromRow(row)) : null
    })
  }

  async reserve(input: ReserveInput): Promise<ReserveResult> {
    return this.write((): ReserveResult => {
      const row = this.sql.agent.get(input.agentId)
      if (!row) return { ok: false, reason: 'unknown_agent' }
      const agent = agentFromRow(row)
      if (agent.revokedAt !== null) return { ok: false, reason: 'agent_revoked' }
      if (agent.expiresAt !== null && agent.expiresAt <= input.at)
        return { ok: false, reason: 'agent_expired' }
      const totals = this.totalsNow(input.agentId, input.at)
      const held = ceilings(agent.caps, (currency) => totals[currency] ?? ZERO)
      this.sql.insertCall.run(
        input.callId,
        input.agentId,
        input.at,
        input.method,
        input.origin,
        input.route,
      )
      for (const [currency, units] of Object.entries(held))
        this.sql.insertHold.run(input.callId, input.agentId, currency, input.at, units)
      return { ok: true, held }
    })
  }

  async settle(callId: string, settlement: Settlement): Promise<boolean> {
    return this.write(() => {
      const open = this.sql.openCall.get(callId)
      if (!open) return false
      const agentId = text(open.agent_id)
      this.sql.closeCall.run(
        callId,
        settlement.at,
        settlement.status,
        settlement.outcome,
        settlement.reason ?? null,
      )
      this.sql.releaseHolds.run(callId)
      for (const [currency, units] of Object.entries(settlement.cost))
        if (units > 0) this.sql.spend.run(callId, agentId, currency, open.at as number, units)
      for (const topUp of settlement.topUps) {
        this.sql.insertCharge.run(
          callId,
          agentId,
          topUp.origin,
          topUp.currency,
          topUp.units,
          topUp.chargeId ?? null,
          settlement.at,
        )
      }
      return true
    })
  }

  async abandonStale(before: number, at: number): Promise<number> {
    return this.write(() => {
      this.sql.abandonAmounts.run(before)
      return Number(this.sql.abandonCalls.run(before, at).changes)
    })
  }

  async totals(agentId: string, now: number): Promise<Record<string, AgentTotals>> {
    return this.read(() => this.totalsNow(agentId, now))
  }

  async allTotals(now: number): Promise<Record<string, Record<string, AgentTotals>>> {
    return groupTotals(
      this.read(() => this.sql.allTotals.all(startOfUtcMonth(now), startOfUtcDay(now))),
    )
  }

  async accounts(): Promise<Accounts> {
    return this.read(() => accountsFrom(this.sql.spent.all(), this.sql.charged.all()))
  }

  async calls(filter: LogFilter): Promise<CallRecord[]> {
    return groupCalls(this.read(() => this.sql.calls.all(...logParams(filter))))
  }

  async charges(filter: LogFilter): Promise<ChargeRecord[]> {
    return this.read(() => this.sql.charges.all(...logParams(filter))).map(chargeFromRow)
  }

  async loadWallet(): Promise<unknown> {
    const row = this.read(() => this.sql.loadWallet.get())
    return row ? JSON.parse(text(row.snapshot)) : undefined
  }

  async saveWallet(snapshot: unknown): Promise<void> {
    const json = JSON.stringify(snapshot)
    this.write(() => this.sql.saveWallet.run(json))
  }

  async lockWallet(): Promise<() => Promise<void>> {
    // One waiter per process polls the file; the others queue behind it here.
    const unlock = await this.walletMutex.lock()
    const token = globalThis.crypto.randomUUID()
    try {
      for (let attempt = 0; ; attempt++) {
        const now = Date.now()
        const taken = this.write(
          () => this.sql.acquireLock.run('wallet', token, now + WALLET_LOCK_TTL_MS, now).changes,
        )
        if (taken > 0) break
        await walletLockWait(attempt)
      }
    } catch (err) {
      unlock()
      throw err
    }
    return async () => {
      try {
        this.write(() => this.sql.releaseLock.run('wallet', token))
      } finally {
        unlock()
      }
    }
  }

  async close(): Promise<void> {
    try {
      this.db.close()
    } catch {
      // Already closed.
    }
  }

  private totalsNow(agentId: string, now: number): Record<string, AgentTotals> {
    const out: Record<string, AgentTotals> = {}
    for (const row of this.sql.totals.all(agentId, startOfUtcMonth(now), startOfUtcDay(now)))
      out[text(row.currency)] = totalsFromRow(row)
    return out
  }

  private read<T>(work: () => T): T {
    try {
      return work()
    } catch (err) {
      throw storeError(err)
    }
  }

  /** One `BEGIN IMMEDIATE` transaction, synchronous from begin to commit. */
  private write<T>(work: () => T): T {
    try {
      this.db.exec('begin immediate')
    } catch (err) {
      throw storeError(err)
    }
    try {
      const result = work()
      this.db.exec('commit')
      return result
    } catch (err) {
      rollback(this.db)
      throw storeError(err)
    }
  }
}

const ZERO: AgentTotals = { daily: 0, monthly: 0, total: 0, held: 0 }

function rollback(db: DatabaseSync): void {
  try {
    db.exec('rollback')
  } catch {}
}
