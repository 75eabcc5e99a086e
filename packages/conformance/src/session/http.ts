/** Sends one request to the server under test and keeps what came back, for assertions and evidence. */
import { base64DecodeUtf8, decodeHeader, HEADERS } from '@stripe402/protocol'
import type { FetchLike } from './options'
import { rawRequest } from './raw'
import { HEADER_LIMIT } from './header-limit'

/** A request as the suite describes it. */
export interface Outgoing {
  method: string
  /** Path and query exactly as they should appear on the request line. */
  path: string
  headers?: Record<string, string>
  /**
   * Keep the path byte for byte (dot segments would be resolved by WHATWG URL parsing).
   * Honoured with the built-in transport; a custom `fetch` gets the parsed URL.
   */
  raw?: boolean
  /**
   * Put the whole URL on the request line (absolute-form), the path byte for byte. Built-in
   * transport only: a custom `fetch` cannot send it (`send` refuses, so an audit never passes by accident).
   */
  absoluteForm?: boolean
  /**
   * Keep the body read so far when the stream aborts (a handler that fails after its first bytes),
   * instead of failing the request. Honoured with fetch (the default transport for such a request).
   */
  partial?: boolean
}

/** A finished request/response pair. */
export interface Exchange {
  /** `GET /api/joke` plus the payment header it carried, decoded when possible. */
  request: string
  status: number
  headers: Record<string, string>
  text: string
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown
}

/** A 2xx: the server served the request. */
export const isServed = (ex: Exchange): boolean => ex.status >= 200 && ex.status <= 299

export interface Target {
  /** Origin plus any base path, without a trailing slash. */
  base: string
  fetch?: FetchLike
}

const TIMEOUT_MS = 30_000

/** The server could not be reached; the message names the system's cause (ECONNREFUSED, ENOTFOUND, a timeout). */
export class Unreachable extends Error {
  override readonly name = 'Unreachable'
  constructor(base: string, error: unknown) {
    super(`Cannot reach ${base}: ${causeOf(error)}.`)
  }
}

/** `fetch failed` hides the cause; dig out its code and message (an AggregateError holds one per address). */
function causeOf(error: unknown): string {
  let inner: unknown = error
  while (inner instanceof Error && inner.cause !== undefined) inner = inner.cause
  const code = (inner as { code?: unknown } | undefined)?.code
  const first = inner instanceof AggregateError ? inner.errors[0] : inner
  const message = first instanceof Error ? first.message : String(first)
  if (error instanceof Error && error.name === 'TimeoutError')
    return `no answer within ${TIMEOUT_MS} ms`
  return typeof code === 'string' && !message.includes(code) ? `${code} (${message})` : message
}

/** Target for a base URL such as `http://localhost:3000` or `https://api.example.com/v1/`. */
export function targetFor(url: string, fetch?: FetchLike): Target {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new TypeError(`url must be an absolute http(s) URL, got "${url}".`)
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new TypeError(`url must be an http(s) URL, got "${url}".`)
  }
  return { base: parsed.origin + parsed.pathname.replace(/\/+$/, ''), fetch }
}

export async function send(target: Target, out: Outgoing): Promise<Exchange> {
  const url = target.base + out.path
  const headers = out.headers ?? {}
  let status: number
  let responseHeaders: Record<string, string>
  let text: string
  if (out.absoluteForm && target.fetch)
    throw new Error(
      'An absolute-form request target needs the built-in transport, not a custom fetch.',
    )
  if ((out.raw || out.absoluteForm) && !target.fetch) {
    ;({
      status,
      headers: responseHeaders,
      text,
    } = await rawRequest(url, out.method, headers, TIMEOUT_MS, {
      absoluteForm: out.absoluteForm,
    }).catch((error: unknown) => {
      throw new Unreachable(target.base, error)
    }))
  } else {
    const fetcher = target.fetch ?? globalThis.fetch
    const response = await fetcher(url, {
      method: out.method,
      headers,
      redirect: 'manual',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    }).catch((error: unknown) => {
      throw new Unreachable(target.base, error)
    })
    status = response.status
    responseHeaders = Object.fromEntries(
      [...response.headers].map(([k, v]) => [k.toLowerCase(), v]),
    )
    text = out.partial ? await readPartial(response) : await response.text()
  }
  return {
    request: describe(out.absoluteForm ? { ...out, path: url } : out),
    status,
    headers: responseHeaders,
    text,
    json: parseJson(text),
  }
}

/** The body as far as it arrived: an aborted stream ends the text, it does not fail the request. */
async function readPartial(response: Response): Promise<string> {
  if (!response.body) return ''
  const reader = response.body.getReader()
  const decoder = new TextDecoder()
  let text = ''
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      text += decoder.decode(value, { stream: true })
    }
  } catch {
    // The stream aborted after these bytes.
  }
  return text + decoder.decode()
}

function describe(out: Outgoing): string {
  const payment = out.headers?.[HEADERS.PAYMENT]
  if (payment === undefined) return `${out.method} ${out.path}`
  let shown: string
  try {
    shown = JSON.stringify(decodeHeader(payment, HEADER_LIMIT))
  } catch {
    const text = base64DecodeUtf8(payment)
    shown =
      text === undefined
        ? `${JSON.stringify(payment)} (not base64)`
        : `base64 of ${JSON.stringify(text)}`
  }
  return `${out.method} ${out.path} with ${HEADERS.PAYMENT}: ${shown.length > 300 ? `${shown.slice(0, 300)}… (${payment.length} bytes encoded)` : shown}`
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}
