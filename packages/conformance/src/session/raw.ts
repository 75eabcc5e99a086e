/** node:http transport for paths WHATWG URL parsing would rewrite (`/api/./joke`); loaded only when needed. */

export interface RawResponse {
  status: number
  headers: Record<string, string>
  text: string
}

/**
 * Sends `method url` with the path left exactly as written. With `absoluteForm` the request line
 * carries the whole URL (`GET http://host/x HTTP/1.1`, RFC 9112 §3.2.2), as a client talking to
 * a proxy does; servers must accept it.
 */
export async function rawRequest(
  url: string,
  method: string,
  headers: Record<string, string>,
  timeoutMs: number,
  options: { absoluteForm?: boolean } = {},
): Promise<RawResponse> {
  const match = /^(https?):\/\/([^/]+)(.*)$/.exec(url)
  if (!match) throw new TypeError(`Cannot send a raw request to ${url}.`)
  const [, scheme, authority, path] = match as unknown as [string, string, string, string]
  const { request } = scheme === 'https' ? await import('node:https') : await import('node:http')
  const host = new URL(`${scheme}://${authority}`)
  return new Promise<RawResponse>((resolve, reject) => {
    const req = request(
      {
        method,
        host: host.hostname.replace(/^\[|\]$/g, ''),
        port: host.port || undefined,
        path: options.absoluteForm ? url : path || '/',
        headers,
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('error', reject)
        res.on('end', () => {
          const out: Record<string, string> = {}
          for (const [k, v] of Object.entries(res.headers))
            if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v
          resolve({
            status: res.statusCode ?? 0,
            headers: out,
            text: Buffer.concat(chunks).toString('utf8'),
          })
        })
      },
    )
    req.on('timeout', () => req.destroy(new Error(`No answer within ${timeoutMs} ms.`)))
    req.on('error', reject)
    req.end()
  })
}
