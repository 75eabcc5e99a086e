/** Bun entry: serves the paid API with `Bun.serve` on a free port and prints the port for the test. */
import { createPaidApi, type PaidApiConfig } from '../app/paid-api'

declare const STRIPE402_RUNTIME_CONFIG: PaidApiConfig
/** The slice of Bun's API this entry uses (no @types/bun in the workspace). */
declare const Bun: {
  version: string
  serve(options: {
    port: number
    hostname: string
    fetch(
      req: Request,
      server: { requestIP(req: Request): { address: string } | null },
    ): Promise<Response>
  }): { port: number }
}

const app = createPaidApi(STRIPE402_RUNTIME_CONFIG)
const server = Bun.serve({
  port: 0,
  hostname: '127.0.0.1',
  fetch: (req, bun) => app(req, bun.requestIP(req)?.address),
})
console.log(JSON.stringify({ listening: server.port, runtime: `Bun ${Bun.version}` }))
