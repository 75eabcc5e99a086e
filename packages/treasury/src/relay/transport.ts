/**
 * How the treasury reaches the APIs agents call: HTTP(S) over `node:http`, where the address a
 * host name resolves to is checked as the connection is made (so a DNS answer that changes between
 * a check and the connect cannot slip a private address through), and nothing follows redirects.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { Agent as HttpAgent, type IncomingMessage, request as httpRequest } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { isIP, type LookupFunction } from 'node:net'
import { Readable } from 'node:stream'
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib'
import { isPrivateAddress } from './addresses'

export type RelayErrorCode =
  | 'address_not_allowed'
  | 'origin_not_allowed'
  | 'redirect_not_allowed'
  | 'too_many_redirects'
  | 'unsupported_scheme'
  | 'upstream_unreachable'
  | 'upstream_timeout'

/** Why the treasury did not get an answer: a code the agent can act on. */
export class RelayError extends Error {
  override readonly name = 'RelayError'
  constructor(
    readonly code: RelayErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

export interface TransportOptions {
  /** Reach loopback, private and link-local addresses (the admin allowed it for this agent). */
  allowPrivate: boolean
  /** Idle time on the connection before the request fails with `upstream_timeout`. */
  timeoutMs: number
}

// Two pools: a connection opened for an agent allowed private addresses is never reused for one that is not.
const agents = {
  public: { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) },
  private: { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) },
}

const NULL_BODY = new Set([101, 204, 205, 304])

function blocked(host: string): RelayError {
  return new RelayError(
    'address_not_allowed',
    `${host} resolves to a loopback, private or link-local address, which this agent may not reach.`,
  )
}

/** Resolves as `dns.lookup` does and refuses when any address is private. */
function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0)
      const list = addresses ?? []
      if (!allowPrivate && list.some((a) => isPrivateAddress(a.address)))
        return callback(blocked(hostname) as unknown as NodeJS.ErrnoException, '', 0)
      if ((options as { all?: boolean }).all)
        return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list)
      const first = list[0]
      if (!first) return callback(new Error(`${hostname} has no address`), '', 0)
      callback(null, first.address, first.family)
    })
  }
}

/** A `fetch` for one agent's requests: same inputs and result, no redirects followed, bodies decoded as fetch would. */
export async function relayFetch(
  url: string,
  init: RequestInit,
  options: TransportOptions,
): Promise<Response> {
  const target = new URL(url)
  if (target.protocol !== 'http:' && target.protocol !== 'https:')
    throw new RelayError('unsupported_scheme', `${target.protocol} URLs are not fetched.`)
  const host = target.hostname.replace(/^\[|\]$/g, '')
  if (isIP(host) && !options.allowPrivate && isPrivateAddress(host)) throw blocked(host)
  const headers: Record<string, string> = {}
  new Headers(init.headers).forEach((value, name) => {
    headers[name] = value
  })
  const body =
    init.body == null ? undefined : new Uint8Array(await new Response(init.body).arrayBuffer())
  if (body) headers['content-length'] = String(body.byteLength)
  headers['accept-encoding'] ??= 'gzip, deflate, br'
  const pool = options.allowPrivate ? agents.private : agents.public
  const secure = target.protocol === 'https:'
  return new Promise<Response>((resolve, reject) => {
    const req = (secure ? httpsRequest : httpRequest)(target, {
      method: init.method ?? 'GET',
      headers,
      agent: secure ? pool.https : pool.http,
      lookup: guardedLookup(options.allowPrivate),
      ...(init.signal ? { signal: init.signal } : {}),
    })
    req.setTimeout(options.timeoutMs, () => {
      req.destroy(new RelayError('upstream_timeout', `${target.origin} did not answer in time.`))
    })
    req.once('error', (error) => {
      if (error instanceof RelayError || init.signal?.aborted)
        return reject(init.signal?.reason ?? error)
      // Node wraps a lookup failure; the refusal inside is what the agent needs to see.
      const cause = (error as { cause?: unknown }).cause
      if (cause instanceof RelayError) return reject(cause)
      reject(
        new RelayError(
          'upstream_unreachable',
          `Could not reach ${target.origin}: ${error.message}`,
          {
            cause: error,
          },
        ),
      )
    })
    req.once('response', (res) => {
      try {
        resolve(toResponse(res, init.method ?? 'GET'))
      } catch (error) {
        res.destroy()
        reject(error)
      }
    })
    req.end(body)
  })
}

function toResponse(res: IncomingMessage, method: string): Response {
  const status = res.statusCode ?? 0
  if (status < 200 || status > 599) throw new RelayError('upstream_unreachable', `HTTP ${status}`)
  const headers = new Headers()
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2)
    headers.append(res.rawHeaders[i] as string, res.rawHeaders[i + 1] as string)
  if (method.toUpperCase() === 'HEAD' || NULL_BODY.has(status)) {
    res.resume()
    return new Response(null, { status, statusText: res.statusMessage ?? '', headers })
  }
  const decoded = decode(res, headers.get('content-encoding'))
  if (decoded !== res) {
    headers.delete('content-encoding')
    headers.delete('content-length')
  }
  const stream = Readable.toWeb(decoded) as ReadableStream<Uint8Array>
  return new Response(stream, { status, statusText: res.statusMessage ?? '', headers })
}

function decode(res: IncomingMessage, encoding: string | null): Readable {
  const name = encoding?.trim().toLowerCase()
  const decoder =
    name === 'gzip' || name === 'x-gzip'
      ? createGunzip()
      : name === 'deflate'
        ? createInflate()
        : name === 'br'
          ? createBrotliDecompress()
          : undefined
  if (!decoder) return res
  res.once('error', (error) => decoder.destroy(error))
  return res.pipe(decoder)
}
