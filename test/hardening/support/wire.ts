/** A raw HTTP/1.1 client over node:net: sends a request line and headers byte for byte, as a hostile client would. */
import { connect } from 'node:net'

export interface RawRequest {
  method: string
  /** Request target exactly as sent (no URL parsing, no normalization): `/a/../b`, `//x`, raw UTF-8 … */
  target: string
  /** Header lines in order; a name may repeat. */
  headers?: ReadonlyArray<readonly [string, string]>
  body?: string
  /** Source address (any of 127.0.0.0/8 works on loopback), to look like another client. */
  localAddress?: string
  timeoutMs?: number
}

export interface RawResponse {
  /** 0 when the server closed the connection without answering. */
  status: number
  /** Lower-case names; repeated headers joined with `, `. */
  headers: Record<string, string>
  body: string
}

/** One request on its own connection (`Connection: close`), read until the server closes it. */
export function rawRequest(baseUrl: string, request: RawRequest): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl)
  const lines = [
    `${request.method} ${request.target} HTTP/1.1`,
    `host: ${hostname}:${port}`,
    'connection: close',
  ]
  for (const [name, value] of request.headers ?? []) lines.push(`${name}: ${value}`)
  if (request.body !== undefined) lines.push(`content-length: ${Buffer.byteLength(request.body)}`)
  const bytes = Buffer.from(`${lines.join('\r\n')}\r\n\r\n${request.body ?? ''}`, 'utf8')

  return new Promise((resolve, reject) => {
    const socket = connect({
      host: hostname,
      port: Number(port),
      ...(request.localAddress && { localAddress: request.localAddress }),
    })
    const chunks: Buffer[] = []
    let settled = false
    const finish = (error?: Error) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      if (error) reject(error)
      else resolve(parseResponse(Buffer.concat(chunks)))
    }
    const timer = setTimeout(
      () =>
        finish(
          new Error(
            `no complete answer to ${request.method} ${JSON.stringify(request.target).slice(0, 200)} within ${request.timeoutMs ?? 10_000} ms`,
          ),
        ),
      request.timeoutMs ?? 10_000,
    )
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('end', () => finish())
    socket.on('close', () => finish())
    // A reset after a complete answer (the server closing early) is still an answer.
    socket.on('error', (error) => (chunks.length > 0 ? finish() : finish(error)))
    socket.write(bytes)
  })
}

function parseResponse(data: Buffer): RawResponse {
  const split = data.indexOf('\r\n\r\n')
  if (split === -1) return { status: 0, headers: {}, body: data.toString('latin1') }
  const [statusLine = '', ...headerLines] = data.subarray(0, split).toString('latin1').split('\r\n')
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0)
  const headers: Record<string, string> = {}
  for (const line of headerLines) {
    const colon = line.indexOf(':')
    if (colon === -1) continue
    const name = line.slice(0, colon).trim().toLowerCase()
    const value = line.slice(colon + 1).trim()
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`
  }
  let body = data.subarray(split + 4)
  if (/\bchunked\b/i.test(headers['transfer-encoding'] ?? '')) body = dechunk(body)
  return { status, headers, body: body.toString('utf8') }
}

function dechunk(data: Buffer): Buffer {
  const parts: Buffer[] = []
  let at = 0
  while (at < data.length) {
    const eol = data.indexOf('\r\n', at)
    if (eol === -1) break
    const size = Number.parseInt(data.subarray(at, eol).toString('latin1'), 16)
    if (!Number.isFinite(size) || size === 0) break
    parts.push(data.subarray(eol + 2, eol + 2 + size))
    at = eol + 2 + size + 2
  }
  return Buffer.concat(parts)
}
