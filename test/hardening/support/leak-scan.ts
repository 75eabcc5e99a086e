/** Scans captured text (logs, events, bodies, headers, child output) for secrets and card data. */
import type { PaywallLogger } from '@stripe402/server'

export interface Leak {
  what: string
  /** Where the text came from. */
  source: string
  /** A few characters around the hit, the hit itself masked. */
  near: string
}

export interface LeakScanOptions {
  /** Values that must never appear, e.g. the Stripe secret key, the server secret, issued tokens, PaymentMethod ids. */
  exact?: ReadonlyArray<{ what: string; value: string }>
  /** A payer's own credential may travel in `payment-response`; nowhere else. */
  allowCredentials?: boolean
}

const CARD_RUN = /(?<![0-9A-Za-z_-])[2-6]\d{12,18}(?![0-9A-Za-z_-])/g
const CARD_GROUPED = /(?<![0-9A-Za-z])[2-6]\d{3}([ -])\d{4}\1\d{4}\1\d{1,7}(?![0-9A-Za-z])/g
const PATTERNS: ReadonlyArray<{ what: string; re: RegExp; credential?: boolean }> = [
  { what: 'Stripe secret or restricted key', re: /\b[sr]k_(?:test|live)_[A-Za-z0-9]+/g },
  { what: 'webhook signing secret', re: /\bwhsec_[A-Za-z0-9_]+/g },
  { what: 'PaymentMethod id', re: /\bpm_[A-Za-z0-9]{6,}/g },
  { what: 'PaymentIntent client secret', re: /\bpi_[A-Za-z0-9]+_secret_[A-Za-z0-9]+/g },
  { what: 'clientId credential', re: /\bs402_[0-9a-f]{64}_[A-Za-z0-9_-]{43}/g, credential: true },
]

/** Luhn check over a string of digits. */
export function luhnValid(digits: string): boolean {
  let sum = 0
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48
    if (i % 2 === 1) {
      d *= 2
      if (d > 9) d -= 9
    }
    sum += d
  }
  return sum % 10 === 0
}

function near(text: string, index: number, length: number): string {
  const before = text.slice(Math.max(0, index - 30), index)
  const after = text.slice(index + length, index + length + 30)
  return `${before}[${length} chars]${after}`.replace(/\s+/g, ' ')
}

/**
 * Card numbers are any 13–19 digit run (plain or in groups of four) that passes Luhn and starts
 * like a card (2–6); epoch milliseconds and amounts start with 1 or are too short, so they do not
 * trip it, and ids (hex account ids, `pi_…`) are excluded by the word boundaries.
 */
export function findLeaks(source: string, text: string, options: LeakScanOptions = {}): Leak[] {
  const leaks: Leak[] = []
  for (const re of [CARD_RUN, CARD_GROUPED]) {
    for (const match of text.matchAll(re)) {
      if (luhnValid(match[0].replace(/[ -]/g, '')))
        leaks.push({
          what: 'card number (Luhn-valid)',
          source,
          near: near(text, match.index, match[0].length),
        })
    }
  }
  for (const { what, re, credential } of PATTERNS) {
    if (credential && options.allowCredentials) continue
    for (const match of text.matchAll(re))
      leaks.push({ what, source, near: near(text, match.index, match[0].length) })
  }
  for (const { what, value } of options.exact ?? []) {
    if (value.length < 6) continue
    let at = text.indexOf(value)
    while (at !== -1) {
      if (!(options.allowCredentials && value.startsWith('s402_')))
        leaks.push({ what, source, near: near(text, at, value.length) })
      at = text.indexOf(value, at + 1)
    }
  }
  return leaks
}

/** Collects text from everywhere a scenario writes, then scans it all at once. */
export class LeakCollector {
  private readonly texts: Array<{ source: string; text: string; allowCredentials: boolean }> = []
  /** How many texts and characters were scanned, of which how many log lines and error answers, for the report. */
  readonly stats = { texts: 0, chars: 0, logLines: 0, errorAnswers: 0 }

  /** A paywall logger that keeps every line for the scan: suites with no use for their logs still prove them clean. */
  readonly logger: PaywallLogger = {
    warn: (message, meta) => {
      this.stats.logLines++
      this.add('logger.warn', { message, meta })
    },
    error: (message, meta) => {
      this.stats.logLines++
      this.add('logger.error', { message, meta })
    },
  }

  add(source: string, value: unknown, allowCredentials = false): void {
    const text = typeof value === 'string' ? value : safeStringify(value)
    this.texts.push({ source, text, allowCredentials })
    this.stats.texts++
    this.stats.chars += text.length
  }

  /** Every body and header of an HTTP answer; only `payment-response` may carry the payer's own credential. */
  addResponse(
    source: string,
    response: { status: number; headers: Record<string, string> | Headers; body: string },
  ): void {
    const headers =
      response.headers instanceof Headers ? Object.fromEntries(response.headers) : response.headers
    this.add(`${source} body (${response.status})`, response.body)
    for (const [name, value] of Object.entries(headers)) {
      // The stripe402 headers are base64: scan what they say, not how it is spelled.
      const text =
        name === 'payment-required' || name === 'payment-response'
          ? Buffer.from(value, 'base64').toString('utf8')
          : value
      this.add(`${source} header ${name}`, text, name === 'payment-response')
    }
  }

  /** `addResponse` for refusals and failures only (4xx, 5xx, no answer): what a payer is told when it goes wrong. */
  addError(
    source: string,
    response: { status: number; headers: Record<string, string> | Headers; body: string },
  ): void {
    if (response.status >= 400 || response.status < 100) {
      this.stats.errorAnswers++
      this.addResponse(source, response)
    }
  }

  /** Every source seen, e.g. `event refund`, `logger.error`: proof that a scenario wrote what is scanned. */
  sources(): Set<string> {
    return new Set(this.texts.map((t) => t.source))
  }

  scan(exact: LeakScanOptions['exact'] = []): Leak[] {
    return this.texts.flatMap(({ source, text, allowCredentials }) =>
      findLeaks(source, text, { exact, allowCredentials }),
    )
  }
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value, (_key, v: unknown) =>
      v instanceof Error
        ? { name: v.name, message: v.message, stack: v.stack }
        : typeof v === 'bigint'
          ? String(v)
          : v,
    )
  } catch {
    return String(value)
  }
}
