/** `stripe402 fetch <url>`: one paying request; body to stdout, summary to stderr, exit code by outcome. */
import { readFile } from 'node:fs/promises'
import { createFileStore } from '../file-store'
import { getPaymentInfo } from '../payment-info'
import { createPayingFetch } from '../paying-fetch'
import type { PayingFetchOptions } from '../options'
import { createTreasuryFetch, getTreasuryInfo } from '../treasury'
import { type FetchArgs, parseFetchArgs } from './args'
import { parseCardEnv, UsageError } from './card'
import { printableHeaders } from './redact'
import { exitCodeFor, money, summaryLine } from './summary'
import { walletPath } from './wallet-path'

export interface Io {
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
  stdin: NodeJS.ReadableStream
  env: NodeJS.ProcessEnv
}

export async function fetchCommand(argv: string[], io: Io): Promise<number> {
  const args = parseFetchArgs(argv)
  const treasuryUrl = args.treasury ?? (io.env.STRIPE402_TREASURY_URL || undefined)
  const pay = treasuryUrl ? treasuryFetch(treasuryUrl, args, io.env) : localFetch(args, io.env)
  const headers = new Headers(args.headers)
  const body = args.data === undefined ? undefined : await readData(args.data, io)
  if (body !== undefined && !headers.has('content-type'))
    headers.set('content-type', 'application/x-www-form-urlencoded')
  const response = await pay(args.url, {
    method: args.method,
    headers,
    ...(body !== undefined && { body }),
  })
  const info = getPaymentInfo(response)
  const bytes = new Uint8Array(await response.arrayBuffer())
  if (args.json) {
    const text = new TextDecoder().decode(bytes)
    let parsedBody: unknown = text
    if ((response.headers.get('content-type') ?? '').includes('json')) {
      try {
        parsedBody = JSON.parse(text)
      } catch {
        parsedBody = text
      }
    }
    io.stdout.write(
      `${JSON.stringify({ url: args.url, status: response.status, ok: response.ok, headers: printableHeaders(response.headers), body: parsedBody, payment: info }, null, 2)}\n`,
    )
  } else {
    io.stdout.write(bytes)
    // On a terminal the summary that follows on stderr would share the body's last line.
    if (isTerminal(io.stdout) && bytes.length > 0 && bytes[bytes.length - 1] !== 0x0a)
      io.stdout.write('\n')
  }
  const left = getTreasuryInfo(response)?.remaining
  const capsLeft =
    left === undefined ? '' : ` · ${money(left, info?.currency)} left under this agent's caps`
  io.stderr.write(`${summaryLine(response, info)}${capsLeft}\n`)
  return exitCodeFor(response, info)
}

/** The local paying fetch: the card in STRIPE402_CARD or --payment-method, the wallet file, the policy. */
function localFetch(args: FetchArgs, env: NodeJS.ProcessEnv): typeof fetch {
  const options: PayingFetchOptions = {
    policy: args.policy,
    store: createFileStore(walletPath(args.wallet, env)),
    ...(args.stripeApi !== undefined && { stripeApiBase: args.stripeApi }),
  }
  if (args.paymentMethod !== undefined) {
    const id = args.paymentMethod
    options.paymentMethod = async () => id
  } else if (env.STRIPE402_CARD) {
    options.card = parseCardEnv(env.STRIPE402_CARD)
  }
  return createPayingFetch(options)
}

/** Through a treasury: the handle only from the environment (a flag would show in `ps` and shell history). */
function treasuryFetch(url: string, args: FetchArgs, env: NodeJS.ProcessEnv): typeof fetch {
  const handle = env.STRIPE402_TREASURY_HANDLE
  if (!handle)
    throw new UsageError(
      'STRIPE402_TREASURY_HANDLE is not set: the agent handle (s402a_…) the treasury admin created for this agent.',
    )
  if (!/^s402a_\S+$/.test(handle))
    throw new UsageError('STRIPE402_TREASURY_HANDLE must be an agent handle (s402a_…).')
  const maxPrice = args.policy.maxAmountPerRequest
  return createTreasuryFetch({
    url,
    handle,
    ...(typeof maxPrice === 'number' && { maxPrice: () => maxPrice }),
  })
}

/** curl's -d: `@file` reads a file, `@-` reads stdin, anything else is sent as is. */
async function readData(data: string, io: Io): Promise<string | Uint8Array<ArrayBuffer>> {
  if (data === '@-') {
    const chunks: Buffer[] = []
    for await (const chunk of io.stdin)
      chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer))
    return new Uint8Array(Buffer.concat(chunks))
  }
  if (data.startsWith('@')) return new Uint8Array(await readFile(data.slice(1)))
  return data
}

function isTerminal(stream: NodeJS.WritableStream): boolean {
  return (stream as { isTTY?: boolean }).isTTY === true
}
