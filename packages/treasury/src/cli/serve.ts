/** `stripe402-treasury serve`: runs the treasury on a SQLite file (default) or PostgreSQL (DATABASE_URL). */
import { parseArgs } from 'node:util'
import { SqliteStore } from '../store/sqlite'
import { PostgresStore } from '../store/postgres'
import type { TreasuryStore } from '../store/types'
import { createTreasury } from '../treasury'
import { parseCard } from './card'
import { type Io, UsageError, unitsArg } from './io'

export const SERVE_USAGE = `Usage: stripe402-treasury serve [options]

Runs the treasury: it holds the card from STRIPE402_CARD (number|mm|yyyy|cvc), and agents pay
through it with their handles. The admin token comes from STRIPE402_TREASURY_ADMIN_TOKEN (24+
characters). Storage is a SQLite file, or PostgreSQL when DATABASE_URL is set (several instances;
tables in the schema STRIPE402_TREASURY_SCHEMA, default stripe402_treasury).
Amounts are in units: 1 unit = 1/10,000 of the major currency unit (500 = $0.05).

      --port N             port to listen on (default 8402, or $PORT)
      --host H             address to listen on (default 127.0.0.1)
      --db FILE            SQLite file (default $STRIPE402_TREASURY_DB or ./treasury.db)
      --top-up N           preferred top-up size (default: each server's minimum)
      --max-top-up N       largest single charge to the card
      --budget-daily N     most charged to the card per UTC day
      --budget-monthly N   most charged per UTC month
      --budget-total N     most charged ever
      --budget-currency C  the currency budgets are in (default usd)
      --stripe-api URL     Stripe API base (default https://api.stripe.com; the emulator's URL)`

export async function serveCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      db: { type: 'string' },
      'top-up': { type: 'string' },
      'max-top-up': { type: 'string' },
      'budget-daily': { type: 'string' },
      'budget-monthly': { type: 'string' },
      'budget-total': { type: 'string' },
      'budget-currency': { type: 'string' },
      'stripe-api': { type: 'string' },
    },
    strict: true,
  })
  const adminToken = io.env.STRIPE402_TREASURY_ADMIN_TOKEN ?? ''
  if (adminToken.length < 24)
    throw new UsageError('Set STRIPE402_TREASURY_ADMIN_TOKEN to a secret of 24 characters or more.')
  const cardText = io.env.STRIPE402_CARD
  if (!cardText)
    throw new UsageError('Set STRIPE402_CARD (number|mm|yyyy|cvc): the treasury pays with it.')
  const card = parseCard(cardText)
  const portText = values.port ?? io.env.PORT ?? '8402'
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65_535)
    throw new UsageError(`--port takes a port number, got "${portText}".`)
  const currency = values['budget-currency']
  if (currency !== undefined && !/^[a-z]{3}$/.test(currency))
    throw new UsageError('--budget-currency takes a lower-case ISO 4217 code such as usd.')
  const budget = {
    ...optional('daily', unitsArg('budget-daily', values['budget-daily'])),
    ...optional('monthly', unitsArg('budget-monthly', values['budget-monthly'])),
    ...optional('total', unitsArg('budget-total', values['budget-total'])),
    ...optional('currency', currency),
  }
  const databaseUrl = io.env.DATABASE_URL
  const file = values.db ?? io.env.STRIPE402_TREASURY_DB ?? 'treasury.db'
  const store: TreasuryStore = databaseUrl
    ? await PostgresStore.connect(databaseUrl, {
        ...optional('schema', io.env.STRIPE402_TREASURY_SCHEMA),
      })
    : await SqliteStore.open(file)
  const treasury = createTreasury({
    store,
    adminToken,
    card,
    ...optional('stripeApiBase', values['stripe-api'] ?? io.env.STRIPE402_STRIPE_API),
    topUps: {
      ...optional('amount', unitsArg('top-up', values['top-up'])),
      ...optional('max', unitsArg('max-top-up', values['max-top-up'])),
      ...(Object.keys(budget).length > 0 ? { budget } : {}),
    },
    logger: { warn: (m) => io.stderr.write(`${m}\n`), error: (m) => io.stderr.write(`${m}\n`) },
  })
  const server = await treasury.listen(Number(portText), values.host ?? '127.0.0.1')
  const where = databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `SQLite ${file}`
  io.stdout.write(`stripe402 treasury listening on ${server.url} (store: ${where})\n`)
  await (io.stopped ?? new Promise<void>(() => {}))
  treasury.close()
  await server.close()
  await store.close()
  return 0
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V }
}
