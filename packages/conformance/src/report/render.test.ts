import { encodeHeader } from '@stripe402/protocol'
import { describe, expect, it } from 'vitest'
import { renderJson } from './json'
import { renderMarkdown } from './markdown'
import { type Report, summarize } from './run'
import { renderTable } from './table'

const challenge = {
  stripe402Version: 1,
  resource: { url: '/api/joke' },
  accepts: [],
  error: 'insufficient_credits',
}

const report: Report = summarize([
  {
    id: 'S402-CH-01',
    name: 'MUST answer an unpaid request to the paid route with 402',
    level: 'MUST',
    requiredAt: 'v1',
    section: '§2.4',
    status: 'ok',
  },
  {
    id: 'S402-CH-10',
    name: 'SHOULD send Cache-Control: no-store with the 402',
    level: 'SHOULD',
    requiredAt: 'stripe402',
    section: '§14.2',
    status: 'warn',
    reason: 'Cache-Control is absent.',
  },
  {
    id: 'S402-MON-03',
    name: 'MUST serve exactly K of 3K parallel calls when the credits cover K',
    level: 'MUST',
    requiredAt: 'v1',
    section: '§8.2',
    status: 'error',
    reason: '5 of 6 parallel calls were served, but 1000 credits pay for 2 calls of 500.',
    evidence: {
      request: 'GET /api/joke',
      status: 402,
      headers: { 'payment-required': encodeHeader(challenge) },
      body: { a: '|' },
    },
  },
])

describe('renderers', () => {
  it('counts a failed SHOULD as a warning and a failed MUST as failing the report', () => {
    expect(report.ok).toBe(false)
    expect(summarize(report.results.slice(0, 2)).ok).toBe(true)
  })

  it('renderTable lists every audit, then each failure with its reason and decoded evidence', () => {
    const text = renderTable(report)
    expect(text).toContain(
      '✔ S402-CH-01   MUST answer an unpaid request to the paid route with 402',
    )
    expect(text).toContain('! S402-CH-10   SHOULD send Cache-Control: no-store with the 402')
    expect(text).toContain(
      '    5 of 6 parallel calls were served, but 1000 credits pay for 2 calls of 500.',
    )
    expect(text).toContain(`      (decoded) ${JSON.stringify(challenge)}`)
    expect(text.trimEnd().split('\n').at(-1)).toBe(
      '1 ok, 1 warning, 1 error: FAIL (a MUST does not hold)',
    )
  })

  it('renderMarkdown escapes table cells and folds evidence', () => {
    const text = renderMarkdown(report)
    expect(text).toContain(
      '| ⚠️ | `S402-CH-10` | SHOULD send Cache-Control: no-store with the 402 |',
    )
    expect(text).toContain(
      '#### ❌ `S402-MON-03` MUST serve exactly K of 3K parallel calls when the credits cover K',
    )
    expect(text).toContain('"request": "GET /api/joke"')
    const piped = renderMarkdown(
      summarize([
        {
          id: 'X-01',
          name: 'MAY use a | b',
          level: 'MAY',
          requiredAt: 'v1',
          section: '§1',
          status: 'ok',
        },
      ]),
    )
    expect(piped).toContain('| ✅ | `X-01` | MAY use a \\| b |')
  })

  it('renderJson round-trips the report', () => {
    expect(JSON.parse(renderJson(report))).toEqual(report)
  })
})
