// A Next.js route handler behind the paywall: the fetch adapter as a Next app would use it.
import { withPaywall } from '@stripe402/fetch'
import { createPaywall, MemoryLedger, type Paywall } from '@stripe402/server'

// Read per request, never at build time: `next build` runs without the Stripe keys.
export const dynamic = 'force-dynamic'

let handler: ((req: Request) => Promise<Response>) | undefined

function paidJoke(): (req: Request) => Promise<Response> {
  if (!handler) {
    const paywall: Paywall = createPaywall({
      stripe: {
        secretKey: process.env.STRIPE_SECRET_KEY ?? '',
        publishableKey: process.env.STRIPE_PUBLISHABLE_KEY ?? '',
        ...(process.env.STRIPE_API_BASE ? { apiBase: process.env.STRIPE_API_BASE } : {}),
        maxNetworkRetries: 0,
      },
      secret: process.env.STRIPE402_SECRET ?? '',
      ledger: new MemoryLedger(),
      routes: { 'GET /api/joke': { amount: 500, minTopUp: 50_000 } },
    })
    handler = withPaywall(paywall, () => Response.json({ joke: 'A 402 walks into a bar.' }))
  }
  return handler
}

export function GET(req: Request): Promise<Response> {
  return paidJoke()(req)
}
