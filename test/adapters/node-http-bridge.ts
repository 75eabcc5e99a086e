/** A fetch handler on Node's own `http.createServer`: the small bridge an app can write instead of using a server library. */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import { Readable } from 'node:stream'
import type { ReadableStream as NodeReadableStream } from 'node:stream/web'
import { pipeline } from 'node:stream/promises'

/** What the socket knows and a `Request` does not. */
export interface Connection {
  remoteAddress: string | undefined
}

export type NodeFetchHandler = (
  req: Request,
  connection: Connection,
) => Response | Promise<Response>

/** `createServer(toRequestListener(handler))`. */
export function toRequestListener(handler: NodeFetchHandler): RequestListener {
  return async (incoming, outgoing) => {
    const hangUp = new AbortController()
    // Closed before the whole answer was written: the client went away, and `req.signal` says so.
    outgoing.once('close', () => outgoing.writableFinished || hangUp.abort())
    let req: Request
    try {
      req = toRequest(incoming, hangUp.signal)
    } catch {
      // A target or Host header no URL can be built from, or a method `Request` refuses.
      return void outgoing.writeHead(400).end()
    }
    try {
      await send(await handler(req, { remoteAddress: incoming.socket.remoteAddress }), outgoing)
    } catch {
      // The handler threw (answer 500), or the client left mid-body (nothing left to answer).
      if (outgoing.headersSent) outgoing.destroy()
      else outgoing.writeHead(500).end()
    }
  }
}

function toRequest(incoming: IncomingMessage, signal: AbortSignal): Request {
  const target = incoming.url ?? '/'
  // Appended, never resolved against a base: `//api/joke` is a path, not a URL for host `api`.
  const url = /^[a-z][a-z\d+.-]*:\/\//i.test(target)
    ? target
    : `http://${incoming.headers.host ?? 'localhost'}${target}`
  const headers = new Headers()
  for (let i = 0; i < incoming.rawHeaders.length; i += 2)
    headers.append(incoming.rawHeaders[i]!, incoming.rawHeaders[i + 1]!)
  const method = incoming.method ?? 'GET'
  const body =
    method === 'GET' || method === 'HEAD'
      ? null
      : (Readable.toWeb(incoming) as ReadableStream<Uint8Array>)
  // Node's Request needs `duplex` for a streamed body; lib.dom does not know the field.
  return new Request(url, { method, headers, body, signal, duplex: 'half' } as RequestInit)
}

async function send(res: Response, outgoing: ServerResponse): Promise<void> {
  for (const [name, value] of res.headers)
    if (name !== 'set-cookie') outgoing.setHeader(name, value)
  const cookies = res.headers.getSetCookie()
  if (cookies.length > 0) outgoing.setHeader('set-cookie', cookies)
  outgoing.statusCode = res.status
  // Chunk by chunk as the handler makes them, with backpressure (Node drops the body of a HEAD answer).
  // A client that leaves ends the pipeline, which cancels the handler's stream.
  if (res.body)
    await pipeline(Readable.fromWeb(res.body as NodeReadableStream<Uint8Array>), outgoing)
  else outgoing.end()
}
