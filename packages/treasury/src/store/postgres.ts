/** The treasury's store on PostgreSQL (node-postgres `Pool`), for several treasury instances sharing one database. */
import { ceilings, startOfUtcDay, startOfUtcMonth } from '../agents/caps'
import { agentFromRow, chargeFromRow, publicAgent, type Row, text, totalsFromRow } from './rows'
import { accountsFrom, groupCalls, groupTotals, logParams, Mutex } from './shared'
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

/** The part of a node-postgres client the store uses, typed structurally so `pg` is only a peer dependency. */
export interface PgQueryable {
  query(text: string, values?: unknown[]): Promise<{ rows: Row[]; rowCount?: number | null }>
}

export interface PgPoolClient extends PgQueryable {
  release(destroy?: boolean | Error): void
}

/** A node-postgres `Pool` (or anything shaped like one). */
export interface PgPool extends PgQueryable {
  connect(): Promise<PgPoolClient>
  end?(): Promise<void>
}

export interface PostgresStoreOptions {
  /** Schema holding the treasury's tables; default `stripe402_treasury`. */
  schema?: string
}

const schemaSql = (s: string) => /* sql */ `
create schema if not exists ${s};
create table if not exists ${s}.agents (
  id text primary key,
  name text not null unique,
  secret_hash text not null,
  caps jsonb not null,
  allowed_origins jsonb not null,
  allow_private boolean not null default false,
  expires_at bigint,
  revoked_at bigint,
  created_at bigint not null,
  updated_at bigint not null
);
create table if not exists ${s}.calls (
  id text primary key,
  agent_id text not null,
  at bigint not null,
  method text not null,
  origin text not null,
  route text not null,
  settled_at bigint,
  status integer,
  outcome text,
  reason text
);
create index if not exists calls_agent_at on ${s}.calls (agent_id, at);
create index if not exists calls_at on ${s}.calls (at);
create index if not exists calls_open on ${s}.calls (at) where settled_at is null;
create table if not exists ${s}.call_amounts (
  call_id text not null,
  agent_id text not null,
  currency text not null,
  at bigint not null,
  held bigint not null check (held >= 0),
  spent bigint not null check (spent >= 0),
  primary key (call_id, currency)
);
create index if not exists call_amounts_agent on ${s}.call_amounts (agent_id, currency, at);
create table if not exists ${s}.charges (
  id bigserial primary key,
  call_id text not null,
  agent_id text not null,
  origin text not null,
  currency text not null,
  units bigint not null check (units > 0),
  charge_id text,
  at bigint not null
);
create index if not exists charges_at on ${s}.charges (at);
create table if not exists ${s}.wallet (id integer primary key check (id = 1), snapshot jsonb not null);
`

// SQLSTATE classes meaning the database cannot serve now: connection, resources, operator intervention.
const UNAVAILABLE_CLASSES = new Set(['08', '53', '57', '58'])

function storeError(err: unknown): unknown {
  if (!(err instanceof Error)) return err
  const code = (err as Error & { code?: unknown }).code
  if (code === '23505') return new StoreConflictError(err.message, { cause: err })
  const sqlState = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined
  // No SQLSTATE: a network error (ECONNREFUSED, a timeout, a closed pool).
  if (sqlState === undefined || UNAVAILABLE_CLASSES.has(sqlState.slice(0, 2)))
    return new StoreUnavailableError(`treasury store: PostgreSQL is unavailable: ${err.message}`, {
      cause: err,
    })
  return err
}

/**
 * A reservation locks the agent's row (`select … for update`) and reads its totals in the same
 * transaction, so every instance's reservations for one agent happen one after the other, each
 * seeing the holds of the ones before. Other agents are not held up.
 */
export class PostgresStore implements TreasuryStore {
  readonly kind = 'postgres'
  private readonly s: string
  private readonly walletMutex = new Mutex()
  private ended: (() => Promise<void>) | undefined

  private constructor(
    private readonly pool: PgPool,
    schema: string,
  ) {
    this.s = schema
  }

  /** Creates the tables if needed in `options.schema` of the database `pool` connects to. */
  static async open(pool: PgPool, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const schema = options.schema ?? 'stripe402_treasury'
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema))
      throw new Error(`treasury store: schema "${schema}" must be a lower-case SQL identifier`)
    const store = new PostgresStore(pool, schema)
    await store.tx(async (client) => {
      // Instances starting together would race on `create … if not exists`.
      await client.query('select pg_advisory_xact_lock(hashtext($1))', [
        `stripe402_treasury:${schema}`,
      ])
      await client.query(schemaSql(schema))
    })
    return store
  }

  /** Opens a `pg.Pool` on `connectionString`; `close()` ends it. */
  static async connect(
    connectionString: string,
    options: PostgresStoreOptions & { max?: number } = {},
  ): Promise<PostgresStore> {
    const pg = await import('pg').catch((cause: unknown) => {
      throw new Error('treasury store: PostgresStore.connect needs the `pg` package', { cause })
    })
    const Pool = pg.default?.Pool ?? (pg as unknown as { Pool: typeof pg.default.Pool }).Pool
    const pool = new Pool({ connectionString, max: options.max ?? 10 })
    // An idle client's error (the server restarted) must not crash the process; the next query reports it.
    pool.on('error', () => {})
    try {
      const store = await PostgresStore.open(pool as unknown as PgPool, options)
      store.ended = () => pool.end()
      return store
    } catch (err) {
      await pool.end().catch(() => {})
      throw err
    }
  }

  async createAgent(agent: NewAgent): Promise<AgentRecord> {
    await this.q(
      `insert into ${this.s}.agents (id, name, secret_hash, caps, allowed_origins, allow_private,
        expires_at, revoked_at, created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $7, null, $8, $8)`,
      [
        agent.id,
        agent.name,
        agent.secretHash,
        JSON.stringify(agent.caps),
        JSON.stringify(agent.allowedOrigins),
        agent.allowPrivateNetwork,
        agent.expiresAt,
        agent.createdAt,
      ],
    )
    return publicAgent({ ...agent, revokedAt: null, updatedAt: agent.createdAt })
  }

  async getAgent(id: string): Promise<StoredAgent | null> {
    const { rows } = await this.q(`select * from ${this.s}.agents where id = $1`, [id])
    return rows[0] ? agentFromRow(rows[0]) : null
  }

  async findAgentByName(name: string): Promise<AgentRecord | null> {
    const { rows } = await this.q(`select * from ${this.s}.agents where name = $1`, [name])
    return rows[0] ? publicAgent(agentFromRow(rows[0])) : null
  }

  async listAgents(): Promise<AgentRecord[]> {
    const { rows } = await this.q(`select * from ${this.s}.agents order by created_at, id`)
    return rows.map((row) => publicAgent(agentFromRow(row)))
  }

  async updateAgent(id: string, changes: AgentChanges, at: number): Promise<AgentRecord | null> {
    return this.tx(async (client) => {
      const { rows } = await client.query(
        `select * from ${this.s}.agents where id = $1 for update`,
        [id],
      )
      if (!rows[0]) return null
      const next = { ...agentFromRow(rows[0]), ...changes, updatedAt: at }
      await client.query(
        `update ${this.s}.agents set name = $2, caps = $3, allowed_origins = $4, allow_private = $5,
          expires_at = $6, updated_at = $7 where id = $1`,
        [
          id,
          next.name,
          JSON.stringify(next.caps),
          JSON.stringify(next.allowedOrigins),
          next.allowPrivateNetwork,
          next.expiresAt,
          at,
        ],
      )
      return publicAgent(next)
    })
  }

  async revokeAgent(id: string, at: number): Promise<AgentRecord | null> {
    const { rows } = await this.q(
      `update ${this.s}.agents set revoked_at = coalesce(revoked_at, $2), updated_at = $2
        where id = $1 returning *`,
      [id, at],
    )
    return rows[0] ? publicAgent(agentFromRow(rows[0])) : null
  }

  async setSecretHash(id: string, secretHash: string, at: number): Promise<AgentRecord | null> {
    const { rows } = await this.q(
      `update ${this.s}.agents set secret_hash = $2, updated_at = $3 where id = $1 returning *`,
      [id, secretHash, at],
    )
    return rows[0] ? publicAgent(agentFromRow(rows[0])) : null
  }

  async reserve(input: ReserveInput): Promise<ReserveResult> {
    return this.tx(async (client): Promise<ReserveResult> => {
      const { rows } = await client.query(
        `select * from ${this.s}.agents where id = $1 for update`,
        [input.agentId],
      )
      if (!rows[0]) return { ok: false, reason: 'unknown_agent' }
      const agent = agentFromRow(rows[0])
      if (agent.revokedAt !== null) return { ok: false, reason: 'agent_revoked' }
      if (agent.expiresAt !== null && agent.expiresAt <= input.at)
        return { ok: false, reason: 'agent_expired' }
      const totals = await this.totalsWith(client, input.agentId, input.at)
      const held = ceilings(agent.caps, (currency) => totals[currency] ?? ZERO)
      await client.query(
        `insert into ${this.s}.calls (id, agent_id, at, method, origin, route) values ($1, $2, $3, $4, $5, $6)`,
        [input.callId, input.agentId, input.at, input.method, input.origin, input.route],
      )
      const currencies = Object.keys(held)
      if (currencies.length > 0) {
        await client.query(
          `insert into ${this.s}.call_amounts (call_id, agent_id, currency, at, held, spent)
            select $1, $2, c, $3, h, 0 from unnest($4::text[], $5::bigint[]) as t (c, h)`,
          [input.callId, input.agentId, input.at, currencies, currencies.map((c) => held[c])],
        )
      }
      return { ok: true, held }
    })
  }

  async settle(callId: string, settlement: Settlement): Promise<boolean> {
    return this.tx(async (client) => {
      const { rows } = await client.query(
        `update ${this.s}.calls set settled_at = $2, status = $3, outcome = $4, reason = $5
          where id = $1 and settled_at is null returning agent_id, at`,
        [callId, settlement.at, settlement.status, settlement.outcome, settlement.reason ?? null],
      )
      const open = rows[0]
      if (!open) return false
      const agentId = text(open.agent_id)
      await client.query(`update ${this.s}.call_amounts set held = 0 where call_id = $1`, [callId])
      for (const [currency, units] of Object.entries(settlement.cost)) {
        if (units <= 0) continue
        await client.query(
          `insert into ${this.s}.call_amounts (call_id, agent_id, currency, at, held, spent)
            values ($1, $2, $3, $4, 0, $5)
            on conflict (call_id, currency) do update set spent = excluded.spent`,
          [callId, agentId, currency, open.at, units],
        )
      }
      for (const topUp of settlement.topUps) {
        await client.query(
          `insert into ${this.s}.charges (call_id, agent_id, origin, currency, units, charge_id, at)
            values ($1, $2, $3, $4, $5, $6, $7)`,
          [
            callId,
            agentId,
            topUp.origin,
            topUp.currency,
            topUp.units,
            topUp.chargeId ?? null,
            settlement.at,
          ],
        )
      }
      return true
    })
  }

  async abandonStale(before: number, at: number): Promise<number> {
    return this.tx(async (client) => {
      await client.query(
        `update ${this.s}.call_amounts set spent = spent + held, held = 0
          where call_id in (select id from ${this.s}.calls where settled_at is null and at < $1)`,
        [before],
      )
      const result = await client.query(
        `update ${this.s}.calls set settled_at = $2, outcome = 'abandoned', reason = 'never_settled'
          where settled_at is null and at < $1`,
        [before, at],
      )
      return result.rowCount ?? 0
    })
  }

  async totals(agentId: string, now: number): Promise<Record<string, AgentTotals>> {
    return this.totalsWith(this.pool, agentId, now).catch((err: unknown) => {
      throw storeError(err)
    })
  }

  async allTotals(now: number): Promise<Record<string, Record<string, AgentTotals>>> {
    const { rows } = await this.q(allTotalsQuery(`${this.s}.`), [
      startOfUtcMonth(now),
      startOfUtcDay(now),
    ])
    return groupTotals(rows)
  }

  async accounts(): Promise<Accounts> {
    const [spent, charged] = await Promise.all([
      this.q(spentQuery(`${this.s}.`)),
      this.q(chargedQuery(`${this.s}.`)),
    ])
    return accountsFrom(spent.rows, charged.rows)
  }

  async calls(filter: LogFilter): Promise<CallRecord[]> {
    const { rows } = await this.q(pgParams(callsQuery(`${this.s}.`)), logParams(filter))
    return groupCalls(rows)
  }

  async charges(filter: LogFilter): Promise<ChargeRecord[]> {
    const { rows } = await this.q(pgParams(chargesQuery(`${this.s}.`)), logParams(filter))
    return rows.map(chargeFromRow)
  }

  async loadWallet(): Promise<unknown> {
    const { rows } = await this.q(`select snapshot from ${this.s}.wallet where id = 1`)
    return rows[0] ? rows[0].snapshot : undefined
  }

  async saveWallet(snapshot: unknown): Promise<void> {
    await this.q(
      `insert into ${this.s}.wallet (id, snapshot) values (1, $1)
        on conflict (id) do update set snapshot = excluded.snapshot`,
      [JSON.stringify(snapshot)],
    )
  }

  /**
   * A session advisory lock on a client of its own: a process that dies releases it with its
   * connection. One waiter per process holds a connection; the others queue here, so waiters
   * never take every connection the holder needs to load and save.
   */
  async lockWallet(): Promise<() => Promise<void>> {
    const unlock = await this.walletMutex.lock()
    let client: PgPoolClient
    try {
      client = await this.pool.connect()
    } catch (err) {
      unlock()
      throw storeError(err)
    }
    const key = `stripe402_treasury_wallet:${this.s}`
    try {
      await client.query('select pg_advisory_lock(hashtext($1))', [key])
    } catch (err) {
      client.release(true)
      unlock()
      throw storeError(err)
    }
    return async () => {
      try {
        await client.query('select pg_advisory_unlock(hashtext($1))', [key])
        client.release()
      } catch (err) {
        // The connection is suspect: dropping it releases the lock server-side.
        client.release(true)
        throw storeError(err)
      } finally {
        unlock()
      }
    }
  }

  async close(): Promise<void> {
    await this.ended?.()
  }

  private async totalsWith(
    client: PgQueryable,
    agentId: string,
    now: number,
  ): Promise<Record<string, AgentTotals>> {
    const { rows } = await client.query(pgParams(totalsQuery(`${this.s}.`)), [
      agentId,
      startOfUtcMonth(now),
      startOfUtcDay(now),
    ])
    const out: Record<string, AgentTotals> = {}
    for (const row of rows) out[text(row.currency)] = totalsFromRow(row)
    return out
  }

  private async q(sql: string, values?: unknown[]) {
    try {
      return await this.pool.query(sql, values)
    } catch (err) {
      throw storeError(err)
    }
  }

  private async tx<T>(work: (client: PgPoolClient) => Promise<T>): Promise<T> {
    let client: PgPoolClient
    try {
      client = await this.pool.connect()
    } catch (err) {
      throw storeError(err)
    }
    let broken = false
    try {
      await client.query('begin')
      const result = await work(client)
      await client.query('commit')
      return result
    } catch (err) {
      await client.query('rollback').catch(() => {
        broken = true
      })
      throw storeError(err)
    } finally {
      client.release(broken)
    }
  }
}

const ZERO: AgentTotals = { daily: 0, monthly: 0, total: 0, held: 0 }

/** `$1 is null` alone cannot tell PostgreSQL a parameter's type: name it. */
function pgParams(sql: string): string {
  return sql
    .replace(/\(\$1 is null/g, '($1::text is null')
    .replace(/\(\$2 is null/g, '($2::text is null')
    .replace(/\(\$3 is null/g, '($3::bigint is null')
    .replace(/\(\$4 is null/g, '($4::bigint is null')
}
