/**
 * The Redis ledger's Lua scripts: one per operation, so each runs atomically in one round trip.
 *
 * Keys of an account share the hash tag `{accountId}` so a script only touches one Cluster slot:
 *   P:{A}      hash: `b:<currency>` balance, `s:<currency>` shortfall, `c:<credentialHash>` '0' active / '1' revoked, `frozen`, `seq`
 *   P:{A}:j    list: journal entries, oldest first, as JSON arrays [id, currency, kind, units, ref, balanceAfter, at]
 *   P:{A}:r    set: `<kind>:<ref>` of every entry (the idempotency guard, and hasEntry)
 * Outside any account: P:credidx:<hash> (credential → account), P:lock:<key>, P:pending:<key>, P:hit:<key>:<window start>,
 * and P:held, a sorted set of held debits (`[account, currency, units, ref]` as JSON, scored by deadline). On
 * standalone Redis the debit's script writes it (one command); on Cluster it is in another slot, so a command of
 * its own (HOLD, one for the turn's debits) goes first in the same round trip. An entry there says "this request may have been debited"; the
 * reversal checks that the debit is in the account's refs before it gives anything back.
 */

export interface LuaScript {
  readonly lua: string
  /** How many keys the script is sent; 'variable' for SPEND_BATCH (three per debit, after P:held). */
  readonly keys: number | 'variable'
}

// The account's keys are upvalues of the functions below, so SPEND_BATCH can point them at each
// debit's account in turn. Appends one journal entry. Integers are formatted by hand: cjson would
// print 14 significant digits and round large balances. The id is unique per ledger: a per-account
// sequence plus a digest of the account key (computed once per key per script run).
const APPEND = /* lua */ `
local ACCOUNT, JOURNAL, REFS = KEYS[1], KEYS[2], KEYS[3]
local digests = {}
local function append(currency, kind, units, ref, balance, at)
  local seq = redis.call('HINCRBY', ACCOUNT, 'seq', 1)
  local digest = digests[ACCOUNT]
  if not digest then
    digest = string.sub(redis.sha1hex(ACCOUNT), 1, 12)
    digests[ACCOUNT] = digest
  end
  local id = string.format('%d', seq) .. '.' .. digest
  redis.call('RPUSH', JOURNAL, '[' .. cjson.encode(id) .. ',' .. cjson.encode(currency) .. ',' .. cjson.encode(kind) .. ','
    .. string.format('%d', units) .. ',' .. cjson.encode(ref) .. ',' .. string.format('%d', balance) .. ',' .. at .. ']')
  redis.call('SADD', REFS, kind .. ':' .. ref)
  return id
end
`

// The debit of `spend`, as a function so that CREDIT_AND_SPEND runs the same code.
const SPEND_FN = /* lua */ `
local function spend(currency, units, ref, credential, at)
  local field = 'b:' .. currency
  local state = redis.call('HMGET', ACCOUNT, field, 'frozen', 'c:' .. credential)
  if credential ~= '' then
    if not state[3] then return {'unknown_credential'} end
    if state[3] ~= '0' then return {'credential_revoked'} end
  end
  if state[2] then return {'account_frozen'} end
  local balance = tonumber(state[1] or '0')
  if balance < units then return {'insufficient_credits', balance} end
  balance = redis.call('HINCRBY', ACCOUNT, field, -units)
  return {'ok', balance, append(currency, 'debit', -units, ref, balance, at)}
end
`

// A credit once per (kind, ref). A shortfall is paid off first: the credit is journaled in full,
// then a `shortfall` entry. Returns {applied, balance}, or an error reply.
const CREDIT_FN = /* lua */ `
local function credit(currency, units, kind, ref, at)
  local field = 'b:' .. currency
  local owed_field = 's:' .. currency
  if redis.call('SISMEMBER', REFS, kind .. ':' .. ref) == 1 then
    return {0, tonumber(redis.call('HGET', ACCOUNT, field) or '0')}
  end
  local before = tonumber(redis.call('HGET', ACCOUNT, field) or '0')
  if before + units > 9007199254740991 then
    return redis.error_reply('stripe402 ledger: balance would exceed 2^53 - 1 units')
  end
  local paid = math.min(tonumber(redis.call('HGET', ACCOUNT, owed_field) or '0'), units)
  append(currency, kind, units, ref, before + units, at)
  local balance = redis.call('HINCRBY', ACCOUNT, field, units - paid)
  if paid > 0 then
    redis.call('HINCRBY', ACCOUNT, owed_field, -paid)
    append(currency, 'shortfall', -paid, kind .. ':' .. ref, balance, at)
  end
  return {1, balance}
end
`

// Each debit of a batch runs under pcall, and its answer goes into `out` as 3 values: spend()'s reply
// padded with 0 and '' ({'ok', balance, id}, {'insufficient_credits', balance, ''}, {reason, 0, ''}),
// or {'error', 0, message} when its commands failed: one debit's error fails that debit alone.
const PACK_FN = /* lua */ `
local function pack(out, i, ok, reply)
  if ok then
    out[i * 3 + 1], out[i * 3 + 2], out[i * 3 + 3] = reply[1], reply[2] or 0, reply[3] or ''
    return
  end
  if type(reply) == 'table' then reply = reply.err or reply.message end
  out[i * 3 + 1], out[i * 3 + 2], out[i * 3 + 3] = 'error', 0, tostring(reply)
end
`

/**
 * The debits of one event-loop turn in one script (standalone Redis only: the accounts are in
 * different slots). KEYS: held, then account, journal, refs of each debit. ARGV: 7 per debit:
 * currency, units, ref, credentialHash, at, deadline ('' for a debit not held), member.
 * Returns 3 values per debit (PACK_FN).
 */
export const SPEND_BATCH: LuaScript = {
  keys: 'variable',
  lua: `${APPEND}${SPEND_FN}${PACK_FN}
local function held_spend(a)
  local reply = spend(ARGV[a + 1], tonumber(ARGV[a + 2]), ARGV[a + 3], ARGV[a + 4], ARGV[a + 5])
  if reply[1] == 'ok' and ARGV[a + 6] ~= '' then redis.call('ZADD', KEYS[1], ARGV[a + 6], ARGV[a + 7]) end
  return reply
end
local out = {}
for i = 0, (#KEYS - 1) / 3 - 1 do
  ACCOUNT, JOURNAL, REFS = KEYS[i * 3 + 2], KEYS[i * 3 + 3], KEYS[i * 3 + 4]
  pack(out, i, pcall(held_spend, i * 7))
end
return out
`,
}

/**
 * The debits of one event-loop turn on one account, in one script: Redis Cluster, where a script
 * stays in one slot (their holds go to P:held by HOLD, a command of its own). KEYS: account,
 * journal, refs. ARGV: 5 per debit: currency, units, ref, credentialHash, at. Returns 3 values per
 * debit (PACK_FN).
 */
export const SPEND_ACCOUNT_BATCH: LuaScript = {
  keys: 3,
  lua: `${APPEND}${SPEND_FN}${PACK_FN}
local out = {}
for i = 0, #ARGV / 5 - 1 do
  local a = i * 5
  pack(out, i, pcall(spend, ARGV[a + 1], tonumber(ARGV[a + 2]), ARGV[a + 3], ARGV[a + 4], ARGV[a + 5]))
end
return out
`,
}

/** KEYS: account, journal, refs. ARGV: currency, units, kind, ref, at. Returns {applied, balance}. */
export const CREDIT: LuaScript = {
  keys: 3,
  lua: `${APPEND}${CREDIT_FN}
return credit(ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4], ARGV[5])
`,
}

/**
 * KEYS: account, journal, refs. ARGV: currency, units, kind, ref, at, spend units, spend ref,
 * credentialHash ('' for none). Returns {applied, ...the reply of spend()}.
 */
export const CREDIT_AND_SPEND: LuaScript = {
  keys: 3,
  lua: `${APPEND}${CREDIT_FN}${SPEND_FN}
local credited = credit(ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4], ARGV[5])
if credited.err then return credited end
local reply = {credited[1]}
for i, value in ipairs(spend(ARGV[1], tonumber(ARGV[6]), ARGV[7], ARGV[8], ARGV[5])) do reply[i + 1] = value end
return reply
`,
}

/** KEYS: account, journal, refs, held. ARGV: those of CREDIT_AND_SPEND, then deadline, member. Standalone Redis only. */
export const CREDIT_AND_SPEND_HELD: LuaScript = {
  keys: 4,
  lua: `${APPEND}${CREDIT_FN}${SPEND_FN}
local credited = credit(ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4], ARGV[5])
if credited.err then return credited end
local reply = {credited[1]}
local spent = spend(ARGV[1], tonumber(ARGV[6]), ARGV[7], ARGV[8], ARGV[5])
if spent[1] == 'ok' then redis.call('ZADD', KEYS[4], ARGV[9], ARGV[10]) end
for i, value in ipairs(spent) do reply[i + 1] = value end
return reply
`,
}

/**
 * KEYS: account, journal, refs. ARGV: currency, units, kind, ref, at. Returns {applied, taken, balance}.
 * What the balance cannot cover is added to the shortfall.
 */
export const CLAWBACK: LuaScript = {
  keys: 3,
  lua: `${APPEND}
local field = 'b:' .. ARGV[1]
local balance = tonumber(redis.call('HGET', KEYS[1], field) or '0')
if redis.call('SISMEMBER', KEYS[3], ARGV[3] .. ':' .. ARGV[4]) == 1 then return {0, 0, balance} end
local units = tonumber(ARGV[2])
local taken = math.min(balance, units)
if taken > 0 then balance = redis.call('HINCRBY', KEYS[1], field, -taken) end
if units > taken then redis.call('HINCRBY', KEYS[1], 's:' .. ARGV[1], units - taken) end
append(ARGV[1], ARGV[3], -taken, ARGV[4], balance, ARGV[5])
return {1, taken, balance}
`,
}

/** KEYS: account. ARGV: currency. */
export const BALANCE: LuaScript = {
  keys: 1,
  lua: `return tonumber(redis.call('HGET', KEYS[1], 'b:' .. ARGV[1]) or '0')`,
}

/** KEYS: account. ARGV: currency. */
export const SHORTFALL: LuaScript = {
  keys: 1,
  lua: `return tonumber(redis.call('HGET', KEYS[1], 's:' .. ARGV[1]) or '0')`,
}

/** KEYS: account, journal. 1 when the account has a journal entry or is frozen. */
export const HAS_HISTORY: LuaScript = {
  keys: 2,
  lua: `if redis.call('EXISTS', KEYS[2]) == 1 or redis.call('HEXISTS', KEYS[1], 'frozen') == 1 then return 1 end return 0`,
}

/** KEYS: journal. */
export const JOURNAL: LuaScript = {
  keys: 1,
  lua: `return redis.call('LRANGE', KEYS[1], 0, -1)`,
}

/** KEYS: refs. ARGV: kind, ref. */
export const HAS_ENTRY: LuaScript = {
  keys: 1,
  lua: `return redis.call('SISMEMBER', KEYS[1], ARGV[1] .. ':' .. ARGV[2])`,
}

/** KEYS: credential index. ARGV: accountId. Binds the credential to the account unless already bound; returns the owner. */
export const BIND_CREDENTIAL: LuaScript = {
  keys: 1,
  lua: `
local owner = redis.call('GET', KEYS[1])
if owner then return owner end
redis.call('SET', KEYS[1], ARGV[1])
return ARGV[1]
`,
}

/** KEYS: account. ARGV: credentialHash. HSETNX: issuing again never un-revokes. */
export const ISSUE_CREDENTIAL: LuaScript = {
  keys: 1,
  lua: `return redis.call('HSETNX', KEYS[1], 'c:' .. ARGV[1], '0')`,
}

/** KEYS: credential index. */
export const CREDENTIAL_OWNER: LuaScript = {
  keys: 1,
  lua: `return redis.call('GET', KEYS[1])`,
}

/** KEYS: account. ARGV: credentialHash. Returns 1 when it was active and is now revoked. */
export const REVOKE_CREDENTIAL: LuaScript = {
  keys: 1,
  lua: `
local field = 'c:' .. ARGV[1]
if redis.call('HGET', KEYS[1], field) ~= '0' then return 0 end
redis.call('HSET', KEYS[1], field, '1')
return 1
`,
}

/** KEYS: account. ARGV: '1' to freeze, '0' to unfreeze. */
export const SET_FROZEN: LuaScript = {
  keys: 1,
  lua: `
if ARGV[1] == '1' then redis.call('HSET', KEYS[1], 'frozen', '1') else redis.call('HDEL', KEYS[1], 'frozen') end
return 1
`,
}

/** KEYS: lock. ARGV: token, ttlMs. Expiry is Redis's own clock. */
export const ACQUIRE_LOCK: LuaScript = {
  keys: 1,
  lua: `if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end return 0`,
}

/** KEYS: lock. ARGV: token, ttlMs. Compare-and-extend: only the owner of a live lock renews it. */
export const RENEW_LOCK: LuaScript = {
  keys: 1,
  lua: `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`,
}

/** KEYS: lock. ARGV: token. Compare-and-delete: a late owner never frees its successor's lock. */
export const RELEASE_LOCK: LuaScript = {
  keys: 1,
  lua: `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`,
}

/** KEYS: pending. ARGV: value, ttlMs. */
export const SET_PENDING: LuaScript = {
  keys: 1,
  lua: `redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1`,
}

/** KEYS: pending. */
export const GET_PENDING: LuaScript = {
  keys: 1,
  lua: `return redis.call('GET', KEYS[1])`,
}

/** KEYS: pending. ARGV: value. Compare-and-delete, like a lock. */
export const CLEAR_PENDING: LuaScript = {
  keys: 1,
  lua: `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`,
}

/**
 * KEYS: the counter of one clock-aligned window (its start is in the key). ARGV: ms until the
 * window ends. Returns the count. Aligned like the memory and PostgreSQL ledgers' windows, so a
 * limit means the same thing whatever the ledger.
 */
export const HIT: LuaScript = {
  keys: 1,
  lua: `
local count = redis.call('INCR', KEYS[1])
if count == 1 or redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count
`,
}

/** KEYS: held. ARGV: deadline, member, [deadline, member, …]. Records held debits (before their debits run, in the same round trip). */
export const HOLD: LuaScript = {
  keys: 1,
  lua: `return redis.call('ZADD', KEYS[1], unpack(ARGV))`,
}

/** KEYS: held. ARGV: members. Releases holds. */
export const RELEASE_HELD: LuaScript = {
  keys: 1,
  lua: `return redis.call('ZREM', KEYS[1], unpack(ARGV))`,
}

/** KEYS: held. ARGV: deadline, members. Moves the deadline of debits still held, never earlier. */
export const EXTEND_HELD: LuaScript = {
  keys: 1,
  lua: `
for i = 2, #ARGV do
  local score = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if score and tonumber(score) < tonumber(ARGV[1]) then redis.call('ZADD', KEYS[1], ARGV[1], ARGV[i]) end
end
return 1
`,
}

/**
 * KEYS: held. ARGV: now, limit, claim until. Claims held debits past their deadline by moving it to
 * `claim until`, and returns them: concurrent sweeps take different ones, and one whose sweeper died
 * comes due again.
 */
export const CLAIM_HELD: LuaScript = {
  keys: 1,
  lua: `
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, member in ipairs(due) do redis.call('ZADD', KEYS[1], ARGV[3], member) end
return due
`,
}

/** KEYS: held. */
export const COUNT_HELD: LuaScript = {
  keys: 1,
  lua: `return redis.call('ZCARD', KEYS[1])`,
}

/**
 * KEYS: account, journal, refs. ARGV: currency, units, ref, at. Gives a debit back, once, if it was
 * applied (its ref is among the account's debits). Returns 1 when given back now.
 */
export const REVERSE_HELD: LuaScript = {
  keys: 3,
  lua: `${APPEND}${CREDIT_FN}
if redis.call('SISMEMBER', KEYS[3], 'debit:' .. ARGV[3]) == 0 then return 0 end
local credited = credit(ARGV[1], tonumber(ARGV[2]), 'reversal', ARGV[3], ARGV[4])
if credited.err then return credited end
return credited[1]
`,
}
