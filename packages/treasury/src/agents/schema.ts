/** What the admin and agent APIs accept, as zod schemas beside their types. Unknown fields are refused, not ignored. */
import { MAX_UNITS } from '@stripe402/protocol'
import { z } from 'zod'
import { normalizeOriginPattern } from './origins'

const units = z
  .number()
  .int('must be a whole number of units (1 unit = 1/10,000 of the major unit)')
  .min(0, 'must not be negative')
  .max(MAX_UNITS, `must be at most ${MAX_UNITS}`)

/** Caps in one currency; at least one of them. */
export const CapsSchema = z
  .strictObject({
    /** The most one call may cost. */
    perCall: units.optional(),
    /** Per UTC day. */
    daily: units.optional(),
    /** Per UTC month. */
    monthly: units.optional(),
    /** Ever. */
    total: units.optional(),
  })
  .refine((caps) => Object.values(caps).some((v) => v !== undefined), {
    message: 'give at least one of perCall, daily, monthly, total',
  })

/** Caps per lower-case ISO 4217 currency; a currency not listed is never spent in. */
export const CapsByCurrencySchema = z
  .record(
    z.string().regex(/^[a-z]{3}$/, 'must be a lower-case ISO 4217 code such as usd'),
    CapsSchema,
  )
  .refine((caps) => Object.keys(caps).length > 0, { message: 'give caps in at least one currency' })
  .refine((caps) => Object.keys(caps).length <= 20, { message: 'at most 20 currencies' })

export const OriginsSchema = z
  .array(z.string().max(300))
  .min(1, 'an agent needs at least one allowed origin: there is no allow-all')
  .max(100, 'at most 100 origins')
  .transform((patterns, ctx) => {
    const out: string[] = []
    for (const [i, pattern] of patterns.entries()) {
      const result = normalizeOriginPattern(pattern)
      if (result.ok) {
        if (!out.includes(result.value)) out.push(result.value)
      } else ctx.addIssue({ code: 'custom', message: `"${pattern}" ${result.reason}`, path: [i] })
    }
    return out
  })

/** Epoch milliseconds, or an ISO 8601 date-time. */
export const TimeSchema = z.union([
  z.number().int().min(0).max(8_640_000_000_000_000),
  z
    .string()
    .max(40)
    .transform((text, ctx) => {
      const ms = Date.parse(text)
      if (Number.isNaN(ms)) {
        ctx.addIssue({ code: 'custom', message: 'must be an ISO 8601 date-time or epoch ms' })
        return z.NEVER
      }
      return ms
    }),
])

const NameSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(64, 'must be at most 64 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]*$/, 'letters, digits, spaces, dots, dashes, underscores')

/** `POST /v1/admin/agents`. */
export const NewAgentSchema = z.strictObject({
  name: NameSchema,
  caps: CapsByCurrencySchema,
  allowedOrigins: OriginsSchema,
  /** Let the agent reach loopback, private and link-local addresses. Off by default. */
  allowPrivateNetwork: z.boolean().optional(),
  expiresAt: TimeSchema.nullable().optional(),
})
export type NewAgentInput = z.infer<typeof NewAgentSchema>

/** `PATCH /v1/admin/agents/:id`: any of the fields; `expiresAt: null` clears the expiry. */
export const AgentPatchSchema = z
  .strictObject({
    name: NameSchema.optional(),
    caps: CapsByCurrencySchema.optional(),
    allowedOrigins: OriginsSchema.optional(),
    allowPrivateNetwork: z.boolean().optional(),
    expiresAt: TimeSchema.nullable().optional(),
  })
  .refine((patch) => Object.values(patch).some((v) => v !== undefined), {
    message: 'give at least one field to change',
  })
export type AgentPatchInput = z.infer<typeof AgentPatchSchema>

/** Methods an agent may ask for; CONNECT and TRACE are not relayed. */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const

/** `POST /v1/fetch`: the request the treasury makes for the agent. */
export const FetchRequestSchema = z
  .strictObject({
    method: z
      .string()
      .transform((m) => m.toUpperCase())
      .pipe(z.enum(METHODS))
      .default('GET'),
    /** Absolute http(s) URL. */
    url: z
      .string()
      .max(8_192)
      .refine(
        (url) => {
          try {
            const parsed = new URL(url)
            return (
              (parsed.protocol === 'https:' || parsed.protocol === 'http:') &&
              parsed.username === '' &&
              parsed.password === ''
            )
          } catch {
            return false
          }
        },
        { message: 'must be an absolute http(s) URL without credentials' },
      ),
    headers: z.record(z.string().max(256), z.string().max(8_192)).optional(),
    body: z.string().optional(),
    /** How `body` is written; `base64` for bytes. Default `utf8`. */
    bodyEncoding: z.enum(['utf8', 'base64']).optional(),
    /** The most this call may cost, in units of any currency: lowers the agent's caps for this call only. */
    maxPrice: z.number().int().min(0).max(9_007_199_254_740_991).optional(),
  })
  .refine((r) => r.body === undefined || (r.method !== 'GET' && r.method !== 'HEAD'), {
    message: 'a GET or HEAD request has no body',
    path: ['body'],
  })
export type FetchRequestInput = z.infer<typeof FetchRequestSchema>

/** The first problem of a failed parse, as one sentence naming the field. */
export function describeIssues(error: z.ZodError): string {
  const issue = error.issues[0]
  if (!issue) return 'invalid input'
  const path = issue.path.map(String).join('.')
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more)` : ''
  return `${path ? `${path}: ` : ''}${issue.message}${more}`
}
