/** `stripe402 fetch <url>`: one paying request; body to stdout, summary to stderr, exit code by outcome. */
import { readFile } from 'node:fs/promises'
import { createFileStore } from '../file-store'
import { getPaymentInfo } from '../payment-info'
import { createPayingFetch } from '../paying-fetch'
import type { PayingFetchOptions } from '../options'
import { parseFetchArgs } from './args'
import { parseCardEnv } from './card'
import { printableHeaders } from './redact'
import { exitCodeFor, summaryLine } from './summary'
import { walletPath } from './wallet-path'

export interface Io {
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
  stdin: NodeJS.ReadableStream
  env: NodeJS.ProcessEnv
}

export async function fetchCommand(argv: string[], io: Io): Promise<number> {
  const args = parseFetchArgs(argv)
  const options: PayingFetchOptions = {
    policy: args.policy,
    store: createFileStore(walletPath(args.wallet, io.env)),
    ...(args.stripeApi !== undefined && { stripeApiBase: args.stripeApi }),
  }
  if (args.paymentMethod !== undefined) {
    const id = args.paymentMethod
    options.paymentMethod = async () => id
  } else if (io.env.STRIPE402_CARD) {
    options.card = parseCardEnv(io.env.STRIPE402_CARD)
  }
  const pay = createPayingFetch(options)
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
  io.stderr.write(`${summaryLine(response, info)}\n`)
  return exitCodeFor(response, info)
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
