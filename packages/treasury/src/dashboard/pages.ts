/** The dashboard's pages as HTML strings: login, agents overview, one agent, card charges, a handle shown once. */
import type { Caps } from '../agents/caps'
import { startOfUtcDay } from '../agents/caps'
import type { AgentView } from '../admin/agents'
import type { AccountsView } from '../admin/report'
import type { CallRecord, ChargeRecord } from '../store/types'
import { type DayBar, spendChart } from './chart'
import { esc, money, page, when } from './html'

const DAY = 86_400_000

export function loginPage(error?: string): string {
  return page(
    'Sign in',
    `<h1>Sign in</h1>
${error ? `<p class="error" role="alert">${esc(error)}</p>` : ''}
<form class="stack" method="post" action="/dashboard/login">
<label>Admin token <input type="password" name="token" autocomplete="current-password" required autofocus></label>
<button>Sign in</button>
</form>
<p class="note">The token is the treasury's STRIPE402_TREASURY_ADMIN_TOKEN. The session lasts 12 hours.</p>`,
    { signedIn: false },
  )
}

function hidden(form: string): string {
  return `<input type="hidden" name="form" value="${esc(form)}">`
}

function bar(used: number, cap: number | undefined): string {
  if (cap === undefined) return ''
  const pct = cap === 0 ? 100 : Math.min(100, Math.round((used * 100) / cap))
  // SVG attributes, not a style attribute: the page's CSP allows no inline style.
  return `<svg class="bar${pct >= 100 ? ' full' : ''}" viewBox="0 0 100 4" preserveAspectRatio="none" aria-label="${pct}% of the cap"><rect class="track" width="100" height="4" rx="2"/><rect class="fill" width="${pct}" height="4" rx="2"/></svg>`
}

function usage(used: number, cap: number | undefined, currency: string): string {
  return `${esc(money(used, currency))}${cap === undefined ? '' : ` / ${esc(money(cap, currency))}`}${bar(used, cap)}`
}

function statusBadge(status: string): string {
  return `<span class="status ${esc(status)}">${esc(status)}</span>`
}

function accountsCards(accounts: AccountsView): string {
  const currencies = [
    ...new Set([
      ...Object.keys(accounts.charged),
      ...Object.keys(accounts.spent),
      ...Object.keys(accounts.creditsHeld),
    ]),
  ]
  if (currencies.length === 0) return '<p class="note">Nothing charged to the card yet.</p>'
  return currencies
    .map(
      (c) => `<div class="cards" data-currency="${esc(c)}">
<div class="card"><small>Card charged</small><b data-testid="charged-${esc(c)}">${esc(money(accounts.charged[c] ?? 0, c))}</b></div>
<div class="card"><small>Agents spent</small><b data-testid="spent-${esc(c)}">${esc(money(accounts.spent[c] ?? 0, c))}</b></div>
<div class="card"><small>Credits held at APIs</small><b data-testid="credits-${esc(c)}">${esc(money(accounts.creditsHeld[c] ?? 0, c))}</b></div>
${accounts.held[c] ? `<div class="card"><small>Held by calls under way</small><b>${esc(money(accounts.held[c], c))}</b></div>` : ''}
${accounts.unconfirmed[c] ? `<div class="card"><small>Top-ups unconfirmed (charged? unknown)</small><b data-testid="unconfirmed-${esc(c)}">${esc(money(accounts.unconfirmed[c], c))}</b></div>` : ''}
</div>`,
    )
    .join('')
    .concat(
      `<p class="note">Charged = spent + credits held: ${accounts.balanced ? '<strong>adds up</strong>' : '<strong>does not add up yet</strong> (calls under way, or an answer lost)'}.</p>`,
    )
}

function capsFields(prefix: string, caps: Caps | undefined): string {
  const field = (name: keyof Caps, label: string) =>
    `<label>${label} <input name="${prefix}${name}" inputmode="numeric" pattern="[0-9]*" value="${caps?.[name] ?? ''}"></label>`
  return `<div class="row">${field('perCall', 'Per call')}${field('daily', 'Per day')}${field('monthly', 'Per month')}${field('total', 'Total')}</div>`
}

export function overviewPage(
  agents: AgentView[],
  accounts: AccountsView,
  form: string,
  error?: string,
): string {
  const rows = agents
    .flatMap((agent) =>
      Object.entries(agent.caps).map(([currency, caps], i) => {
        const spent = agent.spent[currency] ?? { daily: 0, monthly: 0, total: 0 }
        return `<tr data-agent="${esc(agent.name)}">
<td>${i === 0 ? `<a href="/dashboard/agents/${esc(agent.id)}">${esc(agent.name)}</a>` : ''}</td>
<td>${i === 0 ? statusBadge(agent.status) : ''}</td>
<td>${esc(currency)}</td>
<td class="num">${usage(spent.daily, caps.daily, currency)}</td>
<td class="num">${usage(spent.monthly, caps.monthly, currency)}</td>
<td class="num">${usage(spent.total, caps.total, currency)}</td>
</tr>`
      }),
    )
    .join('\n')
  return page(
    'Agents',
    `<h1>Agents</h1>
${accountsCards(accounts)}
<div class="scroll"><table>
<thead><tr><th>Agent</th><th>Status</th><th></th><th class="num">Today / cap</th><th class="num">This month / cap</th><th class="num">Total / cap</th></tr></thead>
<tbody>${rows || '<tr><td colspan="6" class="note">No agents yet.</td></tr>'}</tbody>
</table></div>
<h2>New agent</h2>
${error ? `<p class="error" role="alert">${esc(error)}</p>` : ''}
<form class="stack" method="post" action="/dashboard/agents">
${hidden(form)}
<label>Name <input name="name" required maxlength="64"></label>
<label>Allowed origins, one per line <textarea name="origins" required placeholder="https://api.example.com"></textarea></label>
<label>Currency <input name="currency" value="usd" maxlength="3"></label>
${capsFields('', undefined)}
<p class="note">Caps in units: 10,000 units = 1.00 of the currency; an empty field is no cap of that kind.</p>
<label>Expires (ISO 8601, optional) <input name="expiresAt" placeholder="2030-01-01T00:00:00Z"></label>
<label><span><input type="checkbox" class="check" name="allowPrivateNetwork" value="yes"> May reach loopback and private addresses</span></label>
<button>Create agent</button>
</form>`,
    { signedIn: true, form },
  )
}

/** Spend per UTC day over the last 30 days, in one currency. */
function dailyBars(calls: CallRecord[], currency: string, now: number): DayBar[] {
  const today = startOfUtcDay(now)
  const bars: DayBar[] = Array.from({ length: 30 }, (_, i) => ({
    day: today - (29 - i) * DAY,
    units: 0,
  }))
  for (const call of calls) {
    const index = 29 - Math.floor((today - startOfUtcDay(call.at)) / DAY)
    const bar = bars[index]
    if (bar) bar.units += call.cost[currency] ?? 0
  }
  return bars
}

export function agentPage(
  agent: AgentView,
  calls: CallRecord[],
  now: number,
  form: string,
  error?: string,
): string {
  const currency = Object.keys(agent.caps)[0] ?? 'usd'
  const groups = new Map<
    string,
    { origin: string; route: string; calls: number; paid: number; cost: Record<string, number> }
  >()
  for (const call of calls) {
    const key = `${call.origin} ${call.route}`
    const group = groups.get(key) ?? {
      origin: call.origin,
      route: call.route,
      calls: 0,
      paid: 0,
      cost: {},
    }
    group.calls += 1
    if (call.outcome === 'paid') group.paid += 1
    for (const [c, units] of Object.entries(call.cost)) group.cost[c] = (group.cost[c] ?? 0) + units
    groups.set(key, group)
  }
  const byRoute = [...groups.values()]
    .sort((a, b) => (b.cost[currency] ?? 0) - (a.cost[currency] ?? 0) || b.calls - a.calls)
    .map(
      (
        g,
      ) => `<tr><td>${esc(g.origin)}</td><td>${esc(g.route)}</td><td class="num">${g.calls}</td><td class="num">${g.paid}</td>
<td class="num">${esc(
        Object.entries(g.cost)
          .map(([c, u]) => money(u, c))
          .join(', ') || money(0, currency),
      )}</td></tr>`,
    )
    .join('\n')
  const recent = calls
    .slice(0, 20)
    .map(
      (
        c,
      ) => `<tr><td>${esc(when(c.at))}</td><td>${esc(c.origin)}</td><td>${esc(c.route)}</td><td class="num">${c.status ?? '—'}</td>
<td>${esc(c.outcome ?? 'under way')}${c.reason ? ` <span class="note">${esc(c.reason)}</span>` : ''}</td>
<td class="num">${esc(
        Object.entries(c.cost)
          .map(([cur, u]) => money(u, cur))
          .join(', ') || '—',
      )}</td></tr>`,
    )
    .join('\n')
  const capsRows = Object.entries(agent.caps)
    .map(([c, caps]) => {
      const spent = agent.spent[c] ?? { daily: 0, monthly: 0, total: 0 }
      return `<tr><td>${esc(c)}</td><td class="num">${esc(money(caps.perCall, c))}</td>
<td class="num">${usage(spent.daily, caps.daily, c)}</td><td class="num">${usage(spent.monthly, caps.monthly, c)}</td><td class="num">${usage(spent.total, caps.total, c)}</td>
<td class="num">${esc(money(agent.remaining[c]?.next, c))}</td></tr>`
    })
    .join('\n')
  const active = agent.status === 'active'
  return page(
    agent.name,
    `<h1>${esc(agent.name)} ${statusBadge(agent.status)}</h1>
<p class="note">${esc(agent.id)} · created ${esc(when(agent.createdAt))} · expires ${esc(when(agent.expiresAt))}${agent.revokedAt ? ` · revoked ${esc(when(agent.revokedAt))}` : ''}</p>
<p>Allowed origins: ${agent.allowedOrigins.map((o) => `<code>${esc(o)}</code>`).join(', ')}${agent.allowPrivateNetwork ? ' <span class="note">(private addresses allowed)</span>' : ''}</p>
${error ? `<p class="error" role="alert">${esc(error)}</p>` : ''}
<div class="actions">
${
  active
    ? `<form method="post" action="/dashboard/agents/${esc(agent.id)}/revoke">${hidden(form)}<button class="danger" id="revoke">Revoke now</button></form>
<form method="post" action="/dashboard/agents/${esc(agent.id)}/rotate">${hidden(form)}<button id="rotate">New handle</button></form>`
    : ''
}
</div>
<h2>Caps</h2>
<div class="scroll"><table>
<thead><tr><th></th><th class="num">Per call</th><th class="num">Today / cap</th><th class="num">This month / cap</th><th class="num">Total / cap</th><th class="num">Next call up to</th></tr></thead>
<tbody>${capsRows}</tbody></table></div>
<h2>Spend per day (${esc(currency)}, last 30 days)</h2>
${spendChart(dailyBars(calls, currency, now), currency)}
<h2>Calls by origin and route (last 30 days)</h2>
<div class="scroll"><table>
<thead><tr><th>Origin</th><th>Route</th><th class="num">Calls</th><th class="num">Paid</th><th class="num">Spent</th></tr></thead>
<tbody>${byRoute || '<tr><td colspan="5" class="note">No calls yet.</td></tr>'}</tbody></table></div>
<h2>Latest calls</h2>
<div class="scroll"><table>
<thead><tr><th>Started (UTC)</th><th>Origin</th><th>Route</th><th class="num">Status</th><th>Outcome</th><th class="num">Cost</th></tr></thead>
<tbody>${recent || '<tr><td colspan="6" class="note">No calls yet.</td></tr>'}</tbody></table></div>
${
  active
    ? `<h2>Change caps</h2>
<form class="stack" method="post" action="/dashboard/agents/${esc(agent.id)}/caps">
${hidden(form)}
${Object.entries(agent.caps)
  .map(([c, caps]) => `<fieldset><legend>${esc(c)}</legend>${capsFields(`${c}.`, caps)}</fieldset>`)
  .join('')}
<label>Expires (ISO 8601; empty for never) <input name="expiresAt" value="${agent.expiresAt === null ? '' : esc(new Date(agent.expiresAt).toISOString())}"></label>
<button>Save caps</button>
</form>`
    : ''
}`,
    { signedIn: true, form },
  )
}

export function chargesPage(
  charges: ChargeRecord[],
  names: Map<string, string>,
  form: string,
): string {
  const rows = charges
    .map(
      (
        c,
      ) => `<tr><td>${esc(when(c.at))}</td><td>${esc(names.get(c.agentId) ?? c.agentId)}</td><td>${esc(c.origin)}</td>
<td class="num">${esc(money(c.units, c.currency))}</td><td><code>${esc(c.chargeId ?? '—')}</code></td></tr>`,
    )
    .join('\n')
  return page(
    'Card charges',
    `<h1>Card charges</h1>
<p class="note">Top-ups bought with the card, each on the agent whose call needed it.</p>
<div class="scroll"><table>
<thead><tr><th>When (UTC)</th><th>Caused by</th><th>Origin</th><th class="num">Amount</th><th>Charge</th></tr></thead>
<tbody>${rows || '<tr><td colspan="5" class="note">No charges yet.</td></tr>'}</tbody></table></div>`,
    { signedIn: true, form },
  )
}

/** The only page that ever shows a handle: once, right after it was made. */
export function handlePage(agent: AgentView, handle: string, form: string): string {
  return page(
    agent.name,
    `<h1>Handle for ${esc(agent.name)}</h1>
<p>Give this handle to the agent (as <code>STRIPE402_TREASURY_HANDLE</code>). It is shown <strong>once</strong>; the treasury keeps only its hash.</p>
<p class="handle" id="handle">${esc(handle)}</p>
<p><a href="/dashboard/agents/${esc(agent.id)}">Done</a></p>`,
    { signedIn: true, form },
  )
}
