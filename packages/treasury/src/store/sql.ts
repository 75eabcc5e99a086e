/** SQL both stores share. `$1`-style placeholders (SQLite gets `?1`); `p` prefixes table names (a PostgreSQL schema). */

/** The spend log: filtered calls (newest first) with their amounts; `$1`..`$5` = agent, origin, from, to, limit. */
export const callsQuery = (p = '') => `with c as (
    select * from ${p}calls
    where ($1 is null or agent_id = $1) and ($2 is null or origin = $2)
      and ($3 is null or at >= $3) and ($4 is null or at < $4)
    order by at desc, id desc limit $5)
  select c.*, a.currency, a.held, a.spent from c left join ${p}call_amounts a on a.call_id = c.id
  order by c.at desc, c.id desc`

export const chargesQuery = (p = '') => `select * from ${p}charges
  where ($1 is null or agent_id = $1) and ($2 is null or origin = $2)
    and ($3 is null or at >= $3) and ($4 is null or at < $4)
  order by at desc, id desc limit $5`

/** An agent's spend per currency; `$1` agent, `$2` start of the UTC month, `$3` start of the UTC day. */
export const totalsQuery = (p = '') => `select currency,
    coalesce(sum(held + spent), 0) as total,
    coalesce(sum(case when at >= $2 then held + spent else 0 end), 0) as monthly,
    coalesce(sum(case when at >= $3 then held + spent else 0 end), 0) as daily,
    coalesce(sum(held), 0) as held
  from ${p}call_amounts where agent_id = $1 group by currency`

/** Every agent's spend per currency; `$1` start of the UTC month, `$2` start of the UTC day. */
export const allTotalsQuery = (p = '') => `select agent_id, currency,
    coalesce(sum(held + spent), 0) as total,
    coalesce(sum(case when at >= $1 then held + spent else 0 end), 0) as monthly,
    coalesce(sum(case when at >= $2 then held + spent else 0 end), 0) as daily,
    coalesce(sum(held), 0) as held
  from ${p}call_amounts group by agent_id, currency`

export const spentQuery = (p = '') =>
  `select currency, coalesce(sum(spent), 0) as spent, coalesce(sum(held), 0) as held
    from ${p}call_amounts group by currency`

/** Top-ups the API named a charge for, and those it did not (a lost answer, or its word that nothing was charged). */
export const chargedQuery = (p = '') =>
  `select currency,
    coalesce(sum(units) filter (where charge_id is not null), 0) as charged,
    coalesce(sum(units) filter (where charge_id is null), 0) as unconfirmed
  from ${p}charges group by currency`

export const DEFAULT_LOG_LIMIT = 1000
export const MAX_LOG_LIMIT = 100_000
