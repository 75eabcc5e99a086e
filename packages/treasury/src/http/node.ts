/** Serves a fetch-style handler on `node:http`: requests in as `Request`, answers streamed out. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'

export type Handler = (request: Request) => Promise<Response>

export interface Listening {
  /** `http://host:port` it listens on. */
  url: string
  server: Server
  close(): Promise<void>
}

export async function listen(handler: Handler, port = 0, host = '127.0.0.1'): Promise<Listening> {
  const server = createServer((req, res) => void bridge(handler, req, res))
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address() as AddressInfo
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return {
    url: `http://${shown}:${address.port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

async function bridge(handler: Handler, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const abort = new AbortController()
  res.once('close', () => abort.abort())
  let response: Response
  try {
    const headers = new Headers()
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2)
      headers.append(req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string)
    const method = req.method ?? 'GET'
    const hasBody = method !== 'GET' && method !== 'HEAD'
    const request = new Request(`http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`, {
      method,
      headers,
      signal: abort.signal,
      ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream, duplex: 'half' } : {}),
    } as RequestInit)
    response = await handler(request)
  } catch {
    response = Response.json(
      { error: { code: 'invalid_request', message: 'The request could not be read.' } },
      { status: 400 },
    )
  }
  const headers: Record<string, string | string[]> = {}
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') headers[name] = value
  })
  const cookies = response.headers.getSetCookie()
  if (cookies.length > 0) headers['set-cookie'] = cookies
  // A body left unread (refused before reading it): the client must not reuse this connection.
  if (!req.readableEnded && req.method !== 'GET' && req.method !== 'HEAD') {
    headers.connection = 'close'
    req.resume()
  }
  res.writeHead(response.status, response.statusText || undefined, headers)
  if (!response.body || req.method === 'HEAD') {
    await response.body?.cancel().catch(() => {})
    res.end()
    return
  }
  const body = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream)
  body.once('error', () => res.destroy())
  body.pipe(res)
}
