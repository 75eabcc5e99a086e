/** What the CLI prints ends up in agent transcripts and logs: nothing in it may spend credits. */

/** Response headers that carry the credential (`payment-response`) or could echo it (`payment`). */
const CREDENTIAL_HEADERS = new Set(['payment-response', 'payment'])

export const REDACTED = '[redacted]'

/** The response headers as a plain object, with every header that carries a credential redacted. */
export function printableHeaders(headers: Headers): Record<string, string> {
  const printable: Record<string, string> = {}
  for (const [name, value] of headers)
    printable[name] = CREDENTIAL_HEADERS.has(name) ? REDACTED : value
  return printable
}
