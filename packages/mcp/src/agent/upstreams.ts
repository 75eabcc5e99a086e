/** The MCP servers an agent pays tools of, one per origin (spec §16.3: the origin keys credentials). */
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'

export class McpUpstreams {
  private readonly clients = new Map<string, Client>()
  private readonly connecting = new Map<string, Promise<Client>>()
  /** Clients this object connected, and so closes. */
  private readonly owned = new Set<Client>()

  constructor(private readonly info = { name: 'stripe402-mcp', version: '0.1.0' }) {}

  /** A client connected by the caller (stdio or any transport), under the origin the caller's own configuration names for it. */
  add(origin: string, client: Client): void {
    this.clients.set(new URL(origin).origin, client)
  }

  get(origin: string): Client | undefined {
    return this.clients.get(origin)
  }

  /**
   * The origin of a Streamable HTTP MCP endpoint, connected on first use. One endpoint per
   * origin: a second endpoint URL on an origin already connected is refused rather than
   * silently answered by the first.
   */
  async connect(endpoint: string): Promise<string> {
    const url = new URL(endpoint)
    const origin = url.origin
    if (this.clients.has(origin)) return origin
    let pending = this.connecting.get(origin)
    if (!pending) {
      pending = (async () => {
        const client = new Client(this.info)
        await client.connect(new StreamableHTTPClientTransport(url))
        this.owned.add(client)
        this.clients.set(origin, client)
        return client
      })()
      this.connecting.set(origin, pending)
      pending.catch(() => this.connecting.delete(origin))
    }
    await pending
    return origin
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.owned].map((client) => client.close()))
    this.owned.clear()
    this.clients.clear()
    this.connecting.clear()
  }
}
