/** `stripe402-emulator`: runs the emulator from a shell and prints how to point the Stripe SDK at it. */
import { parseArgs } from 'node:util'
import { DEFAULT_ACCOUNT, startStripeEmulator } from './emulator'
import type { WebhookEndpoint } from './webhooks/dispatcher'

const HELP = `Usage: stripe402-emulator [options]

A stateful local Stripe API (test mode) for tests, demos and offline development.

Options:
  --port <n>             Port to listen on (default 12111; 0 picks a free port)
  --host <addr>          Interface to listen on (default 127.0.0.1)
  --webhook <URL=SECRET> Deliver signed events to URL, signed with SECRET (repeatable)
  --latency <ms>         Latency added to every request (default 0)
  -h, --help             Show this help
`

/** `URL=SECRET`, split at the last '=' because URLs may contain '=' in their query. */
function parseWebhook(value: string): WebhookEndpoint {
  const at = value.lastIndexOf('=')
  if (at <= 0 || at === value.length - 1)
    throw new Error(`--webhook expects URL=SECRET, got ${value}`)
  return { url: value.slice(0, at), secret: value.slice(at + 1) }
}

function integer(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`--${name} expects a non-negative integer, got ${value}`)
  return n
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      webhook: { type: 'string', multiple: true },
      latency: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  })
  if (values.help) {
    process.stdout.write(HELP)
    return
  }
  const webhooks = (values.webhook ?? []).map(parseWebhook)
  const emulator = await startStripeEmulator({
    port: integer('port', values.port, 12111),
    host: values.host ?? '127.0.0.1',
    latencyMs: integer('latency', values.latency, 0),
    webhooks,
  })
  const { secretKey, publishableKey } = emulator.keys(DEFAULT_ACCOUNT)
  const lines = [
    `Stripe emulator listening on ${emulator.url}`,
    '',
    `  Secret key:      ${secretKey}`,
    `  Publishable key: ${publishableKey}`,
    '  (any sk_test_<name> / pk_test_<name> works; <name> is a separate account)',
    '',
    'Point the official SDK at it:',
    `  new Stripe('${secretKey}', { host: '${emulator.host}', port: ${emulator.port}, protocol: 'http' })`,
    '',
    'Tokenize a card with the publishable key:',
    `  curl ${emulator.url}/v1/payment_methods -u ${publishableKey}: -d type=card -d "card[number]=4242424242424242" -d "card[exp_month]=12" -d "card[exp_year]=${new Date().getUTCFullYear() + 5}" -d "card[cvc]=123"`,
    '',
    webhooks.length > 0
      ? `Webhooks: ${webhooks.map((w) => w.url).join(', ')}`
      : 'Webhooks: none (add with --webhook URL=SECRET)',
    'Press Ctrl+C to stop.',
    '',
  ]
  // Signals first: whoever reads the banner may stop the emulator at once, and must get exit code 0.
  const stop = () => {
    emulator.close().then(
      () => process.exit(0),
      () => process.exit(1),
    )
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  process.stdout.write(lines.join('\n'))
}

main().catch((error: unknown) => {
  process.stderr.write(
    `stripe402-emulator: ${error instanceof Error ? error.message : String(error)}\n`,
  )
  process.exit(1)
})
