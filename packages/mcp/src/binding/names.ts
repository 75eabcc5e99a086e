/** The names of the stripe402 MCP binding (spec §16): `_meta` members and the path a tool is priced at. */

/** `_meta` members, namespaced `stripe402/` as MCP's rules for `_meta` keys allow. */
export const META = {
  /** In `params._meta` of `tools/call`: the PaymentPayload JSON object. */
  PAYMENT: 'stripe402/payment',
  /** In `result._meta`: the PaymentResponse JSON object (the receipt). */
  PAYMENT_RESPONSE: 'stripe402/payment-response',
  /** In `result._meta` of a refusal that is not a challenge: the HTTP status it would have had. */
  STATUS: 'stripe402/status',
  /** In `result._meta` of a 429 or 503 refusal: seconds to wait before retrying. */
  RETRY_AFTER: 'stripe402/retry-after',
} as const

/** The path a tool's calls are priced and reported at (`resource.url`): `/mcp/tools/<name>`. */
export function toolPath(name: string): string {
  return `/mcp/tools/${encodeURIComponent(name)}`
}

/** The paywall route key of a tool, for `createPaywall({ routes })`: `POST /mcp/tools/<name>`. */
export function toolRoute(name: string): string {
  return `POST ${toolPath(name)}`
}
