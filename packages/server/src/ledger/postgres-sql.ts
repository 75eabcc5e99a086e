/** The PostgreSQL ledger's schema, plpgsql functions and statements: the same SQL runs on a server and on PGlite. */

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/

/** Schema names are spliced into SQL, so only plain lower-case identifiers are accepted. */
export function checkSchemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) {
    throw new TypeError(
      `stripe402 ledger: schema must match ${SCHEMA_NAME} (a plain lower-case identifier), got ${JSON.stringify(schema)}`,
    )
  }
  return schema
}

/**
 * Everything `migrate()` creates, as one multi-statement string. Sent as one simple query it runs
 * in one implicit transaction, so the advisory lock taken first is held until the last statement:
 * several processes can migrate at once and only one does the DDL at a time.
 */
export function migrationSql(schema: string): string {
  const s = `"${checkSchemaName(schema)}"`
  return /* sql */ `
select pg_advisory_xact_lock(hashtext('stripe402.migrate'), hashtext('${schema}'));

create schema if not exists ${s};

-- 2^53 - 1 caps balances so every figure stays exact as a JavaScript number.
create table if not exists ${s}.balances (
  account_id text not null,
  currency text not null,
  balance bigint not null check (balance >= 0 and balance <= 9007199254740991),
  primary key (account_id, currency)
);

-- Units clawed back that the balance could not cover; credits pay them off first.
alter table ${s}.balances add column if not exists shortfall bigint not null default 0 check (shortfall >= 0);

create table if not exists ${s}.journal (
  id bigint generated always as identity primary key,
  account_id text not null,
  currency text not null,
  kind text not null constraint journal_kind_check check (kind in ('top_up', 'debit', 'reversal', 'refund', 'dispute', 'adjustment', 'shortfall')),
  units bigint not null,
  ref text not null,
  balance_after bigint not null check (balance_after >= 0),
  at timestamptz not null default clock_timestamp()
);

-- Debits reuse refs (the route); every other kind is applied once per (account, kind, ref).
create unique index if not exists journal_once on ${s}.journal (account_id, kind, ref) where kind <> 'debit';
create index if not exists journal_account on ${s}.journal (account_id, id);

-- Journals created before the 'shortfall' kind existed: widen their check once. NOT VALID skips
-- rescanning rows, which all satisfy the narrower check anyway.
do $do$ begin
  if not exists (
    select 1 from pg_constraint
    where conrelid = '${s}.journal'::regclass and conname = 'journal_kind_check' and pg_get_constraintdef(oid) like '%shortfall%'
  ) then
    alter table ${s}.journal drop constraint if exists journal_kind_check;
    alter table ${s}.journal add constraint journal_kind_check
      check (kind in ('top_up', 'debit', 'reversal', 'refund', 'dispute', 'adjustment', 'shortfall')) not valid;
  end if;
end $do$;

create or replace function ${s}.journal_is_append_only() returns trigger language plpgsql as $fn$
begin
  raise exception 'stripe402 journal is append-only' using errcode = 'restrict_violation';
end
$fn$;

do $do$ begin
  if not exists (select 1 from pg_trigger where tgname = 'journal_append_only' and tgrelid = '${s}.journal'::regclass) then
    create trigger journal_append_only before update or delete on ${s}.journal
      for each row execute function ${s}.journal_is_append_only();
  end if;
end $do$;

create table if not exists ${s}.credentials (
  hash text primary key,
  account_id text not null,
  revoked boolean not null default false,
  created_at timestamptz not null default now(),
  revoked_at timestamptz
);

create table if not exists ${s}.frozen_accounts (
  account_id text primary key,
  frozen_at timestamptz not null default now()
);

create table if not exists ${s}.locks (
  key text primary key,
  token text not null,
  expires_at timestamptz not null
);

create table if not exists ${s}.pending (
  key text primary key,
  value text not null,
  expires_at timestamptz not null
);

create table if not exists ${s}.rate_counters (
  key text primary key,
  window_start bigint not null,
  count bigint not null
);

create or replace function ${s}.spend(p_account text, p_credential text, p_currency text, p_units bigint, p_ref text)
returns table (ok boolean, reason text, balance bigint, entry_id text)
language plpgsql as $fn$
#variable_conflict use_column
declare
  v_owner text;
  v_revoked boolean;
  v_balance bigint;
  v_id bigint;
begin
  if p_credential is not null then
    select c.account_id, c.revoked into v_owner, v_revoked from ${s}.credentials c where c.hash = p_credential;
    if v_owner is null or v_owner <> p_account then
      return query select false, 'unknown_credential'::text, null::bigint, null::text;
      return;
    end if;
    if v_revoked then
      return query select false, 'credential_revoked'::text, null::bigint, null::text;
      return;
    end if;
  end if;
  if exists (select 1 from ${s}.frozen_accounts f where f.account_id = p_account) then
    return query select false, 'account_frozen'::text, null::bigint, null::text;
    return;
  end if;
  -- The row lock makes concurrent spends queue; each re-checks the balance it finally sees.
  update ${s}.balances b set balance = b.balance - p_units
    where b.account_id = p_account and b.currency = p_currency and b.balance >= p_units
    returning b.balance into v_balance;
  if not found then
    select b.balance into v_balance from ${s}.balances b where b.account_id = p_account and b.currency = p_currency;
    return query select false, 'insufficient_credits'::text, coalesce(v_balance, 0)::bigint, null::text;
    return;
  end if;
  insert into ${s}.journal (account_id, currency, kind, units, ref, balance_after)
    values (p_account, p_currency, 'debit', -p_units, p_ref, v_balance)
    returning id into v_id;
  return query select true, null::text, v_balance, v_id::text;
end
$fn$;

-- Locks the (account, currency) row and returns its balance, creating it at 0 when new.
create or replace function ${s}.lock_balance(p_account text, p_currency text) returns bigint
language plpgsql as $fn$
#variable_conflict use_column
declare
  v_balance bigint;
begin
  insert into ${s}.balances as b (account_id, currency, balance) values (p_account, p_currency, 0)
    on conflict (account_id, currency) do update set balance = b.balance
    returning b.balance into v_balance;
  return v_balance;
end
$fn$;

create or replace function ${s}.credit(p_account text, p_currency text, p_units bigint, p_kind text, p_ref text)
returns table (applied boolean, balance bigint)
language plpgsql as $fn$
#variable_conflict use_column
declare
  v_balance bigint;
  v_paid bigint;
  v_id bigint;
begin
  -- Balance row first, journal second: entries of one (account, currency) then get ids in the
  -- order their balances were computed, and the unique index settles which duplicate wins.
  v_balance := ${s}.lock_balance(p_account, p_currency);
  insert into ${s}.journal (account_id, currency, kind, units, ref, balance_after)
    values (p_account, p_currency, p_kind, p_units, p_ref, v_balance + p_units)
    on conflict (account_id, kind, ref) where kind <> 'debit' do nothing
    returning id into v_id;
  if v_id is null then
    return query select false, v_balance;
    return;
  end if;
  select least(b.shortfall, p_units) into v_paid from ${s}.balances b where b.account_id = p_account and b.currency = p_currency;
  if v_paid > 0 then
    insert into ${s}.journal (account_id, currency, kind, units, ref, balance_after)
      values (p_account, p_currency, 'shortfall', -v_paid, p_kind || ':' || p_ref, v_balance + p_units - v_paid);
  end if;
  update ${s}.balances b set balance = b.balance + p_units - v_paid, shortfall = b.shortfall - v_paid
    where b.account_id = p_account and b.currency = p_currency
    returning b.balance into v_balance;
  return query select true, v_balance;
end
$fn$;

-- One statement, so one transaction: the balance row the credit locked stays locked through the
-- spend, and no other spend can take the new credits in between.
create or replace function ${s}.credit_and_spend(p_account text, p_currency text, p_units bigint, p_kind text, p_ref text,
  p_credential text, p_spend_units bigint, p_spend_ref text)
returns table (applied boolean, ok boolean, reason text, balance bigint, entry_id text)
language plpgsql as $fn$
#variable_conflict use_column
declare
  v_applied boolean;
begin
  select c.applied into v_applied from ${s}.credit(p_account, p_currency, p_units, p_kind, p_ref) c;
  return query select v_applied, sp.ok, sp.reason, sp.balance, sp.entry_id
    from ${s}.spend(p_account, p_credential, p_currency, p_spend_units, p_spend_ref) sp;
end
$fn$;

create or replace function ${s}.clawback(p_account text, p_currency text, p_units bigint, p_kind text, p_ref text)
returns table (applied boolean, taken bigint, balance bigint)
language plpgsql as $fn$
#variable_conflict use_column
declare
  v_balance bigint;
  v_taken bigint;
  v_id bigint;
begin
  v_balance := ${s}.lock_balance(p_account, p_currency);
  v_taken := least(v_balance, p_units);
  insert into ${s}.journal (account_id, currency, kind, units, ref, balance_after)
    values (p_account, p_currency, p_kind, -v_taken, p_ref, v_balance - v_taken)
    on conflict (account_id, kind, ref) where kind <> 'debit' do nothing
    returning id into v_id;
  if v_id is null then
    return query select false, 0::bigint, v_balance;
    return;
  end if;
  update ${s}.balances b set balance = b.balance - v_taken, shortfall = b.shortfall + (p_units - v_taken)
    where b.account_id = p_account and b.currency = p_currency
    returning b.balance into v_balance;
  return query select true, v_taken, v_balance;
end
$fn$;

-- Debits held until the engine settles them; one past hold_until (epoch ms) is given back by a sweep.
create table if not exists ${s}.held_debits (
  account_id text not null,
  ref text not null,
  currency text not null,
  units bigint not null check (units > 0),
  hold_until bigint not null,
  primary key (account_id, ref)
);
create index if not exists held_debits_due on ${s}.held_debits (hold_until);

create or replace function ${s}.spend_held(p_account text, p_credential text, p_currency text, p_units bigint, p_ref text,
  p_hold_until bigint)
returns table (ok boolean, reason text, balance bigint, entry_id text)
language plpgsql as $fn$
declare
  r record;
begin
  select * into r from ${s}.spend(p_account, p_credential, p_currency, p_units, p_ref);
  if r.ok then
    insert into ${s}.held_debits (account_id, ref, currency, units, hold_until)
      values (p_account, p_ref, p_currency, p_units, p_hold_until) on conflict do nothing;
  end if;
  return query select r.ok, r.reason, r.balance, r.entry_id;
end
$fn$;

-- The debits of one event-loop turn in one statement, so one transaction and one commit (one WAL
-- flush) for all of them. Row k answers item k; items come sorted by account, so that concurrent
-- batches take balance row locks in one order. A null hold_until is a debit not held.
create or replace function ${s}.spend_batch(p_accounts text[], p_credentials text[], p_currencies text[],
  p_units bigint[], p_refs text[], p_hold_until bigint[])
returns table (k integer, ok boolean, reason text, balance bigint, entry_id text)
language plpgsql as $fn$
declare
  r record;
begin
  for i in 1 .. coalesce(array_length(p_refs, 1), 0) loop
    if p_hold_until[i] is null then
      select * into r from ${s}.spend(p_accounts[i], p_credentials[i], p_currencies[i], p_units[i], p_refs[i]);
    else
      select * into r from ${s}.spend_held(p_accounts[i], p_credentials[i], p_currencies[i], p_units[i], p_refs[i],
        p_hold_until[i]);
    end if;
    k := i;
    ok := r.ok;
    reason := r.reason;
    balance := r.balance;
    entry_id := r.entry_id;
    return next;
  end loop;
end
$fn$;

create or replace function ${s}.credit_and_spend_held(p_account text, p_currency text, p_units bigint, p_kind text, p_ref text,
  p_credential text, p_spend_units bigint, p_spend_ref text, p_hold_until bigint)
returns table (applied boolean, ok boolean, reason text, balance bigint, entry_id text)
language plpgsql as $fn$
declare
  v_applied boolean;
  r record;
begin
  select c.applied into v_applied from ${s}.credit(p_account, p_currency, p_units, p_kind, p_ref) c;
  select * into r from ${s}.spend_held(p_account, p_credential, p_currency, p_spend_units, p_spend_ref, p_hold_until);
  return query select v_applied, r.ok, r.reason, r.balance, r.entry_id;
end
$fn$;

-- Releases holds; gives back, once, each debit asked to be reversed that was applied. Items come
-- sorted by account so that concurrent batches take balance row locks in one order.
create or replace function ${s}.settle_held(p_accounts text[], p_currencies text[], p_units bigint[], p_refs text[],
  p_reverse boolean[])
returns integer
language plpgsql as $fn$
declare
  v_reversed integer := 0;
  v_held boolean;
  v_applied boolean;
begin
  for i in 1 .. coalesce(array_length(p_refs, 1), 0) loop
    delete from ${s}.held_debits h where h.account_id = p_accounts[i] and h.ref = p_refs[i];
    v_held := found;
    if p_reverse[i] and (v_held or exists (
      select 1 from ${s}.journal j where j.account_id = p_accounts[i] and j.kind = 'debit' and j.ref = p_refs[i]
    )) then
      select c.applied into v_applied
        from ${s}.credit(p_accounts[i], p_currencies[i], p_units[i], 'reversal', p_refs[i]) c;
      if v_applied then v_reversed := v_reversed + 1; end if;
    end if;
  end loop;
  return v_reversed;
end
$fn$;

-- Gives back debits held past their deadline. SKIP LOCKED: concurrent sweeps take different rows.
create or replace function ${s}.sweep_held(p_now bigint, p_limit integer)
returns table (h_account text, h_currency text, h_units bigint, h_ref text)
language plpgsql as $fn$
declare
  r record;
begin
  for r in
    select d.account_id, d.ref, d.currency, d.units from ${s}.held_debits d
      where d.hold_until <= p_now order by d.account_id, d.ref limit p_limit for update skip locked
  loop
    delete from ${s}.held_debits d where d.account_id = r.account_id and d.ref = r.ref;
    perform ${s}.credit(r.account_id, r.currency, r.units, 'reversal', r.ref);
    h_account := r.account_id;
    h_currency := r.currency;
    h_units := r.units;
    h_ref := r.ref;
    return next;
  end loop;
end
$fn$;

create or replace function ${s}.acquire_lock(p_key text, p_token text, p_ttl_ms bigint) returns boolean
language plpgsql as $fn$
#variable_conflict use_column
declare
  v_token text;
begin
  -- The server's clock decides expiry, so app servers with skewed clocks agree.
  insert into ${s}.locks as l (key, token, expires_at)
    values (p_key, p_token, clock_timestamp() + p_ttl_ms * interval '1 millisecond')
    on conflict (key) do update set token = excluded.token, expires_at = excluded.expires_at
      where l.expires_at <= clock_timestamp()
    returning l.token into v_token;
  return v_token is not null;
end
$fn$;

create or replace function ${s}.hit(p_key text, p_window_ms bigint)
returns table (count bigint, reset_ms bigint)
language plpgsql as $fn$
#variable_conflict use_column
declare
  v_now bigint := floor(extract(epoch from clock_timestamp()) * 1000)::bigint;
  v_start bigint;
  v_count bigint;
begin
  v_start := v_now - v_now % p_window_ms;
  -- A late writer holding an older window start counts into the newer window rather than resetting it.
  insert into ${s}.rate_counters as r (key, window_start, count) values (p_key, v_start, 1)
    on conflict (key) do update set
      count = case when excluded.window_start <= r.window_start then r.count + 1 else 1 end,
      window_start = greatest(r.window_start, excluded.window_start)
    returning r.count, r.window_start into v_count, v_start;
  return query select v_count, greatest(v_start + p_window_ms - v_now, 1);
end
$fn$;
`
}

/**
 * One statement per ledger method: each is a single round trip. With `asyncDebits`, a credential's
 * debit (`spend`, `spendHeld`, `spendBatch`) sets `synchronous_commit = off` for its own transaction: the setting
 * is read at commit, so where it is set in the statement does not matter, and `set_config(…, true)`
 * lasts to the end of the transaction (a function's `SET` clause would be undone before it).
 */
export function statements(schema: string, options: { asyncDebits?: boolean } = {}) {
  const s = `"${checkSchemaName(schema)}"`
  const debit = options.asyncDebits
    ? ", set_config('synchronous_commit', 'off', true) as async_commit"
    : ''
  return {
    spend: `select ok, reason, balance, entry_id from ${s}.spend($1, $2, $3, $4, $5)${debit}`,
    credit: `select applied, balance from ${s}.credit($1, $2, $3, $4, $5)`,
    clawback: `select applied, taken, balance from ${s}.clawback($1, $2, $3, $4, $5)`,
    creditAndSpend: `select applied, ok, reason, balance, entry_id from ${s}.credit_and_spend($1, $2, $3, $4, $5, $6, $7, $8)`,
    spendHeld: `select ok, reason, balance, entry_id from ${s}.spend_held($1, $2, $3, $4, $5, $6)${debit}`,
    spendBatch: `select k, ok, reason, balance, entry_id
      from ${s}.spend_batch($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::bigint[])${debit}`,
    creditAndSpendHeld: `select applied, ok, reason, balance, entry_id from ${s}.credit_and_spend_held($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    settleHeld: `select ${s}.settle_held($1::text[], $2::text[], $3::bigint[], $4::text[], $5::boolean[]) as reversed`,
    extendHeld: `update ${s}.held_debits h set hold_until = greatest(h.hold_until, $3::bigint)
      from unnest($1::text[], $2::text[]) as u(account_id, ref)
      where h.account_id = u.account_id and h.ref = u.ref`,
    sweepHeld: `select h_account, h_currency, h_units, h_ref from ${s}.sweep_held($1::bigint, $2::integer)`,
    countHeld: `select count(*)::integer as n from ${s}.held_debits`,
    balance: `select coalesce((select balance from ${s}.balances where account_id = $1 and currency = $2), 0) as balance`,
    shortfall: `select coalesce((select shortfall from ${s}.balances where account_id = $1 and currency = $2), 0) as shortfall`,
    hasHistory: `select (exists (select 1 from ${s}.journal where account_id = $1)
        or exists (select 1 from ${s}.frozen_accounts where account_id = $1)) as found`,
    journal: `select id::text as id, account_id, currency, kind, units, ref, balance_after,
        floor(extract(epoch from at) * 1000)::bigint as at
      from ${s}.journal where account_id = $1 and ($2::text is null or currency = $2::text) order by journal.id`,
    hasEntry: `select exists (select 1 from ${s}.journal where account_id = $1 and kind = $2 and ref = $3) as found`,
    issueCredential: `insert into ${s}.credentials (hash, account_id) values ($1, $2) on conflict (hash) do nothing`,
    revokeCredential: `with revoked as (
        update ${s}.credentials set revoked = true, revoked_at = now() where hash = $1 and not revoked returning 1
      ) select count(*)::int as revoked from revoked`,
    freeze: `insert into ${s}.frozen_accounts (account_id) values ($1) on conflict (account_id) do nothing`,
    unfreeze: `delete from ${s}.frozen_accounts where account_id = $1`,
    acquireLock: `select ${s}.acquire_lock($1, $2, $3) as acquired`,
    renewLock: `with renewed as (
        update ${s}.locks set expires_at = clock_timestamp() + $3::double precision * interval '1 millisecond'
        where key = $1 and token = $2 and expires_at > clock_timestamp() returning 1
      ) select count(*)::int as renewed from renewed`,
    releaseLock: `delete from ${s}.locks where key = $1 and token = $2`,
    setPending: `insert into ${s}.pending as p (key, value, expires_at) values ($1, $2, clock_timestamp() + $3::double precision * interval '1 millisecond')
      on conflict (key) do update set value = excluded.value, expires_at = excluded.expires_at`,
    getPending: `select value from ${s}.pending where key = $1 and expires_at > clock_timestamp()`,
    clearPending: `delete from ${s}.pending where key = $1 and value = $2`,
    hit: `select count, reset_ms from ${s}.hit($1, $2)`,
  }
}
