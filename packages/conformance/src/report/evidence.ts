/** Turns an exchange into evidence for a report, and evidence into lines a person reads. */
import { decodeHeader, HEADERS } from '@stripe402/protocol'
import type { Evidence } from '../audits/types'
import type { Exchange } from '../session/http'
import { HEADER_LIMIT } from '../session/header-limit'

const MAX_BODY = 2048
/** Headers that change on every run; leaving them out keeps reports comparable. */
const VOLATILE = new Set(['date', 'etag', 'keep-alive', 'connection', 'x-response-time'])

export function toEvidence(ex: Exchange): Evidence {
  const headers: Record<string, string> = {}
  for (const [key, value] of Object.entries(ex.headers).sort(([a], [b]) => a.localeCompare(b))) {
    if (!VOLATILE.has(key)) headers[key] = value
  }
  const body =
    ex.json !== undefined
      ? ex.json
      : ex.text === ''
        ? null
        : ex.text.length > MAX_BODY
          ? `${ex.text.slice(0, MAX_BODY)}…`
          : ex.text
  return { request: ex.request, status: ex.status, headers, body }
}

/** Evidence as indented text lines, with the stripe402 headers decoded next to their base64. */
export function evidenceLines(evidence: Evidence): string[] {
  const lines = [`request:  ${evidence.request}`, `response: ${evidence.status}`]
  for (const [key, value] of Object.entries(evidence.headers)) {
    lines.push(`  ${key}: ${value.length > 200 ? `${value.slice(0, 200)}…` : value}`)
    if (key === HEADERS.PAYMENT_REQUIRED || key === HEADERS.PAYMENT_RESPONSE) {
      try {
        lines.push(`    (decoded) ${JSON.stringify(decodeHeader(value, HEADER_LIMIT))}`)
      } catch {
        // shown raw above
      }
    }
  }
  if (evidence.body !== null) {
    const body = typeof evidence.body === 'string' ? evidence.body : JSON.stringify(evidence.body)
    lines.push(`  body: ${body.length > 500 ? `${body.slice(0, 500)}…` : body}`)
  }
  return lines
}
