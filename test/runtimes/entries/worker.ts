/** workerd entry: the paid API as a Cloudflare Worker module, the way the fetch adapter's README shows it. */
import { createPaidApi, type PaidApiConfig } from '../app/paid-api'

declare const STRIPE402_RUNTIME_CONFIG: PaidApiConfig

const app = createPaidApi(STRIPE402_RUNTIME_CONFIG)

export default {
  fetch: (req: Request) => app(req, req.headers.get('cf-connecting-ip') ?? undefined),
}
