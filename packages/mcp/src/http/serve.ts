/**
 * Serves MCP servers over Streamable HTTP (stateless: a fresh server per request, so any number of
 * clients share nothing but what `createServer` closes over). Node's http module.
 */
import { timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'

export interface ServeMcpHttpOptions {
  /** Default 0 (any free port). */
  port?: number
  /** Default `127.0.0.1`. Anything but a loopback host requires `token`. */
  host?: string
  /** Default `/mcp`. */
  path?: string
  /**
   * A bearer token every request must carry (`Authorization: Bearer <token>`). Required off
   * loopback: whoever reaches a paying MCP server spends its owner's money.
   */
  token?: string
}

export interface RunningMcpHttp {
  /** The endpoint URL, e.g. `http://127.0.0.1:3402/mcp`. */
  url: string
  close(): Promise<void>
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|::1|\[::1\])$/

export async function serveMcpHttp(
  createMcpServer: () => McpServer,
  options: ServeMcpHttpOptions = {},
): Promise<RunningMcpHttp> {
  const host = options.host ?? '127.0.0.1'
  const path = options.path ?? '/mcp'
  if (!LOOPBACK.test(host) && !options.token) {
    throw new Error(
      `Serving MCP on ${host} (not loopback) needs a token: anyone who reaches this server could spend through it. Set one, or serve on 127.0.0.1.`,
    )
  }
  const expected = options.token ? Buffer.from(`Bearer ${options.token}`) : undefined
  let allowedHosts: string[] = []
  const http = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) jsonRpcError(res, 500, -32603, 'Internal error.')
      else res.end()
    })
  })
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (new URL(req.url ?? '/', 'http://localhost').pathname !== path) {
      res.writeHead(404).end()
      return
    }
    if (expected) {
      const given = Buffer.from(req.headers.authorization ?? '')
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        jsonRpcError(res, 401, -32001, 'Unauthorized: send Authorization: Bearer <token>.')
        return
      }
    }
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST')
      jsonRpcError(res, 405, -32000, 'Method not allowed: this server is stateless, POST only.')
      return
    }
    const server = createMcpServer()
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
      // A web page must not drive a local paying server through DNS rebinding.
      enableDnsRebindingProtection: LOOPBACK.test(host),
      allowedHosts,
    })
    res.on('close', () => {
      void transport.close()
      void server.close()
    })
    await server.connect(transport)
    await transport.handleRequest(req, res)
  }
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject)
    http.listen(options.port ?? 0, host, () => resolve())
  })
  const port = (http.address() as AddressInfo).port
  const shown = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host
  allowedHosts = [`${shown}:${port}`, `localhost:${port}`, `127.0.0.1:${port}`]
  return {
    url: `http://${shown}:${port}${path}`,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections()
        http.close(() => resolve())
      }),
  }
}

function jsonRpcError(res: ServerResponse, status: number, code: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }))
}
