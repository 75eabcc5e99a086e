/** Deno entry: serves the paid API with `Deno.serve` on a free port and prints the port for the test. */
import { createPaidApi, type PaidApiConfig } from '../app/paid-api'

declare const STRIPE402_RUNTIME_CONFIG: PaidApiConfig
/** The slice of Deno's API this entry uses (no Deno types in the workspace). */
declare const Deno: {
  version: { deno: string }
  serve(
    options: { port: number; hostname: string; onListen(addr: { port: number }): void },
    handler: (req: Request, info: { remoteAddr: { hostname: string } }) => Promise<Response>,
  ): unknown
}

const app = createPaidApi(STRIPE402_RUNTIME_CONFIG)
Deno.serve(
  {
    port: 0,
    hostname: '127.0.0.1',
    onListen: ({ port }) =>
      console.log(JSON.stringify({ listening: port, runtime: `Deno ${Deno.version.deno}` })),
  },
  (req, info) => app(req, info.remoteAddr.hostname),
)
