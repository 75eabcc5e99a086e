/** Command-line arguments of stripe402-conformance, parsed with node:util and checked. */
import { parseArgs } from 'node:util'
import type { AuditServerOptions } from '../report/run'
import { type Card, testCard } from '../session/cards'
import { parseParamRoute, parseRoute } from '../session/options'

export const USAGE = `Usage: stripe402-conformance <baseUrl> --route "GET /api/joke" [options]

Runs the stripe402 conformance audits against a server and reports which requirements hold.
Exit status: 0 when every MUST holds, 1 when one does not, 2 on a usage error.

Options:
  --route "METHOD /path"    the paid route to audit (required)
  --free-route "METHOD /path"
                            a route that must stay free (adds the free-route audits)
  --param-route "METHOD /path/:name"
                            a paid route with a :name segment or a trailing * (adds audits of
                            encoded slashes, dot segments and ; inside its parameters)
  --failing-route "METHOD /path"
                            a paid route whose handler fails (5xx) at the price of --route
                            (adds the audit that its debit is reversed)
  --streaming-failing-route "METHOD /path"
                            a paid route whose handler sends a 200 and its first bytes, then
                            fails, at the price of --route (adds the audit that its debit is kept)
  --stripe-api URL          Stripe API used to tokenize test cards with the server's publishable
                            key (default https://api.stripe.com; or a stripe402-emulator URL)
  --card number|mm|yyyy|cvc the primary test card (default 4242424242424242|12|<year+5>|123)
  --level v1|stripe402      v1 (default): what the spec requires of every v1-compatible server;
                            stripe402: that and the spec's extensions (CORS, strict schema, …)
  --only ID,ID,...          run only these audits (ids such as S402-CH-01)
  --json                    print the report as JSON
  --markdown                print the report as Markdown
  -h, --help                show this help

The suite pays: run it against a server in Stripe test mode (or on the emulator). On the
emulator each run pays with card numbers new to the server, so runs repeat against a server
that keeps its ledger; with Stripe's test cards the server needs an empty ledger.`

export class UsageError extends Error {
  override readonly name = 'UsageError'
}

export type Format = 'table' | 'json' | 'markdown'

export type Command =
  | { kind: 'help' }
  | { kind: 'run'; options: AuditServerOptions; format: Format }

export function parseCli(argv: string[]): Command {
  const { values, positionals } = asUsage(() => parse(argv))
  if (values.help) return { kind: 'help' }
  if (positionals.length !== 1)
    throw new UsageError(
      positionals.length === 0
        ? 'Missing <baseUrl>.'
        : `Expected one <baseUrl>, got ${positionals.join(' ')}.`,
    )
  const url = positionals[0] as string
  if (!/^https?:\/\/[^/]/.test(url))
    throw new UsageError(`<baseUrl> must be an http(s) URL, got "${url}".`)
  const {
    route,
    'free-route': freeRoute,
    'param-route': paramRoute,
    'failing-route': failingRoute,
    'streaming-failing-route': streamingFailingRoute,
  } = values
  if (!route) throw new UsageError('Missing --route, e.g. --route "GET /api/joke".')
  asUsage(() => parseRoute(route, '--route'))
  if (freeRoute !== undefined) asUsage(() => parseRoute(freeRoute, '--free-route'))
  if (paramRoute !== undefined) asUsage(() => parseParamRoute(paramRoute, '--param-route'))
  if (failingRoute !== undefined) asUsage(() => parseRoute(failingRoute, '--failing-route'))
  if (streamingFailingRoute !== undefined)
    asUsage(() => parseRoute(streamingFailingRoute, '--streaming-failing-route'))
  if (values.json && values.markdown) throw new UsageError('Choose one of --json and --markdown.')
  const stripeApi = values['stripe-api'] ?? 'https://api.stripe.com'
  if (!/^https?:\/\/[^/]/.test(stripeApi))
    throw new UsageError(`--stripe-api must be an http(s) URL, got "${stripeApi}".`)
  const options: AuditServerOptions = {
    url,
    route,
    payment:
      values.card === undefined ? { stripeApi } : { stripeApi, card: parseCard(values.card) },
  }
  const level = values.level ?? 'v1'
  if (level !== 'v1' && level !== 'stripe402')
    throw new UsageError(`--level must be v1 or stripe402, got "${level}".`)
  options.level = level
  if (freeRoute !== undefined) options.freeRoute = freeRoute
  if (paramRoute !== undefined) options.paramRoute = paramRoute
  if (failingRoute !== undefined) options.failingRoute = failingRoute
  if (streamingFailingRoute !== undefined) options.streamingFailingRoute = streamingFailingRoute
  if (values.only !== undefined) {
    options.only = values.only
      .split(',')
      .map((id) => id.trim())
      .filter(Boolean)
    if (options.only.length === 0) throw new UsageError('--only needs at least one audit id.')
  }
  return {
    kind: 'run',
    options,
    format: values.json ? 'json' : values.markdown ? 'markdown' : 'table',
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      route: { type: 'string' },
      'free-route': { type: 'string' },
      'param-route': { type: 'string' },
      'failing-route': { type: 'string' },
      'streaming-failing-route': { type: 'string' },
      'stripe-api': { type: 'string' },
      card: { type: 'string' },
      only: { type: 'string' },
      level: { type: 'string' },
      json: { type: 'boolean' },
      markdown: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  })
}

/** Runs `parse`; what it throws becomes a UsageError with the same message. */
function asUsage<T>(parse: () => T): T {
  try {
    return parse()
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
}

/** `4242424242424242|12|2030|123`, or just the number. */
export function parseCard(text: string): Card {
  const [number = '', month, year, cvc, ...rest] = text.split('|').map((p) => p.trim())
  const card = testCard(number.replace(/[\s-]/g, ''))
  if (!/^\d{12,19}$/.test(card.number) || rest.length > 0)
    throw new UsageError(`--card must be number|mm|yyyy|cvc, got "${text}".`)
  if (month === undefined) return card
  if (year === undefined || cvc === undefined)
    throw new UsageError(`--card must be number|mm|yyyy|cvc, got "${text}".`)
  const expMonth = Number(month)
  const expYear = Number(year.length === 2 ? `20${year}` : year)
  if (!Number.isInteger(expMonth) || expMonth < 1 || expMonth > 12)
    throw new UsageError(`--card: month must be 1–12, got "${month}".`)
  if (!/^\d{4}$/.test(String(expYear)))
    throw new UsageError(`--card: year must be yyyy, got "${year}".`)
  if (!/^\d{3,4}$/.test(cvc))
    throw new UsageError(`--card: cvc must be 3 or 4 digits, got "${cvc}".`)
  return { number: card.number, exp_month: expMonth, exp_year: expYear, cvc }
}
