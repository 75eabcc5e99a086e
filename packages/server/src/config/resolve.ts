/** Validates a `PaywallConfig` once at startup and fills in every default the engine relies on. */
import { ORIGIN_BINDING } from '@stripe402/protocol'
import type Stripe from 'stripe'
import type { z } from 'zod'
import { consoleLogger, type PaywallEvent, type PaywallLogger } from '../events'
import type { Ledger } from '../ledger/types'
import { HONOURED_EXTENSIONS } from '../http/responses'
import { compileRoutes, type RouteTable } from '../routes/match'
import { paywallIdFor } from '../identity'
import { normalizePath } from '../routes/normalize'
import { defaultHttpClient } from '../stripe/gateway'
import { type ConfigIssue, Stripe402ConfigError } from './errors'
import { type ResolvedRoute, resolveRoute } from './route'
import {
  type PaywallConfig,
  PaywallConfigSchema,
  type RateLimit,
  RouteConfigSchema,
} from './schema'
import { secretWeakness } from './secret'

export interface ResolvedRateLimits {
  failedPaymentsPerAddress?: RateLimit
  failedPaymentsPerCard?: RateLimit
  topUpsPerAccount?: RateLimit
}

export interface ResolvedConfig {
  stripe: {
    secretKey?: string
    publishableKey: string
    apiBase: string
    timeoutMs: number
    maxNetworkRetries: number
    httpClient: 'node' | 'fetch'
    client?: Stripe
  }
  /** Newest first. */
  secrets: string[]
  /** Stamped on this paywall's PaymentIntents. */
  paywallId: string
  /** PaymentIntents carrying one of these are this paywall's (every secret's derived id, during a rotation). */
  paywallIds: ReadonlySet<string>
  ledger: Ledger
  routes: RouteTable<ResolvedRoute>
  credentials: 'token' | 'account'
  shouldReverse: (status: number) => boolean
  webhook?: { secret: string; path: string }
  freezeOnDispute: boolean
  caseSensitive: boolean
  rateLimits: ResolvedRateLimits
  discoveryPath: string | null
  onEvent?: (event: PaywallEvent) => void
  logger: PaywallLogger
  /** Origin binding of PaymentMethods (spec §7.4); `origins` null when none are configured. */
  originBinding: {
    origins: ReadonlySet<string> | null
    unbound: 'new-accounts' | 'refuse' | 'any'
  }
  /** Extensions announced in challenges and the price list. */
  extensions: readonly string[]
  lockWaitMs: number
  lockTtlMs: number
  /** Held debits: how long one waits for its answer, and how often confirmations are written. */
  holds: { holdMs: number; flushMs: number }
  /** Preflight answers: `origins` null allows any origin (`*`); else the lower-cased origins echoed back. */
  cors: { origins: ReadonlySet<string> | null; maxAge: number }
}

export type { ResolvedRoute }

export const DEFAULTS = {
  apiBase: 'https://api.stripe.com',
  timeoutMs: 20_000,
  maxNetworkRetries: 1,
  webhookPath: '/stripe402/webhook',
  discoveryPath: '/.well-known/stripe402',
  lockWaitMs: 10_000,
  /** Long enough for a normal top-up; a crashed holder blocks its card for seconds, not a minute. */
  lockTtlMs: 15_000,
  /** Longer than any answer but a stream (which is extended while it runs); short enough that a payer waits a minute, not an hour. */
  holdMs: 60_000,
  /** A crash costs the operator at most the calls confirmed in this window. */
  settleBatchMs: 1_000,
  corsMaxAge: 600,
  /** Card testing runs many cards from one place: a handful of failures is a person, dozens are a script. */
  rateLimits: {
    failedPaymentsPerAddress: { limit: 20, windowMs: 10 * 60_000 },
    failedPaymentsPerCard: { limit: 5, windowMs: 60 * 60_000 },
    topUpsPerAccount: { limit: 30, windowMs: 60 * 60_000 },
  },
} as const

/**
 * Throws one `Stripe402ConfigError` listing every problem found (its `field` names the first);
 * warns (through the logger) about weak secrets outside production.
 */
export function resolveConfig(input: PaywallConfig): ResolvedConfig {
  const issues: ConfigIssue[] = []
  const report = (field: string, message: string) => {
    if (!issues.some((issue) => issue.field === field)) issues.push({ field, message })
  }
  // Whether a field (and everything under it) passed the schema, so later checks may read it.
  const clean = (field: string) =>
    !issues.some(
      (issue) =>
        issue.field === field ||
        issue.field.startsWith(`${field}.`) ||
        issue.field.startsWith(`${field}[`),
    )
  const parsed = PaywallConfigSchema.safeParse(input)
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      report(formatPath(issue.path) || 'config', issue.message)
    }
  }
  // With a schema error elsewhere, the checks below still run on the fields that passed it.
  const config = parsed.success
    ? parsed.data
    : ((typeof input === 'object' && input !== null ? input : {}) as unknown as ParsedConfig)
  const logger = (clean('logger') && config.logger) || consoleLogger
  const caseSensitive = (clean('caseSensitive') && config.caseSensitive) || false

  const stripe =
    typeof config.stripe === 'object' && config.stripe !== null ? config.stripe : undefined
  if (stripe) {
    if (!stripe.secretKey && !stripe.client) {
      report(
        'stripe.secretKey',
        'a Stripe secret key (sk_…) is required unless stripe.client is given',
      )
    }
    const mode = (key: unknown) =>
      typeof key !== 'string'
        ? undefined
        : key.includes('_live_')
          ? 'live'
          : key.includes('_test_')
            ? 'test'
            : undefined
    const keyMode = mode(stripe.secretKey)
    const pkMode = mode(stripe.publishableKey)
    if (keyMode && pkMode && keyMode !== pkMode && clean('stripe.publishableKey')) {
      report(
        'stripe.publishableKey',
        `is a ${pkMode} key but stripe.secretKey is a ${keyMode} key; use a pair from the same mode`,
      )
    }
  }

  const secrets = clean('secret')
    ? typeof config.secret === 'string'
      ? [config.secret]
      : config.secret
    : []
  // Read through globalThis: Workers without nodejs_compat have no `process` at all.
  const production = globalThis.process?.env?.NODE_ENV === 'production'
  secrets.forEach((secret, index) => {
    const weakness = secretWeakness(secret, clean('stripe') ? config.stripe.secretKey : undefined)
    if (!weakness) return
    const field = secrets.length === 1 ? 'secret' : `secret[${index}]`
    if (production) report(field, `refused in production: ${weakness}`)
    else if (parsed.success)
      logger.warn(
        `config ${field} is weak (${weakness}); createPaywall refuses it when NODE_ENV=production`,
      )
  })
  if (!config.webhook && parsed.success) {
    logger.warn(
      'no webhook configured: a top-up charged but not credited (a crash, a lost Stripe answer that is never retried) and refunds or disputes reach the ledger only through paywall.reconcile(); configure webhook or run reconcile on a schedule',
    )
  }

  // Every route the schema accepted is resolved, even when another route or option failed it.
  const routes =
    typeof config.routes === 'object' && config.routes !== null
      ? resolveRoutes(config.routes, caseSensitive, report, (key) =>
          clean(`routes[${JSON.stringify(key)}]`),
        )
      : undefined

  const webhookPath =
    config.webhook && clean('webhook')
      ? normalizeConfigPath(
          config.webhook.path ?? DEFAULTS.webhookPath,
          'webhook.path',
          caseSensitive,
          report,
        )
      : undefined
  const discovery = clean('discovery') ? (config.discovery ?? true) : false
  const discoveryPath =
    discovery === false
      ? null
      : normalizeConfigPath(
          (discovery === true ? undefined : discovery.path) ?? DEFAULTS.discoveryPath,
          'discovery.path',
          caseSensitive,
          report,
        )

  if (issues.length > 0) throw new Stripe402ConfigError(issues)
  // The oldest secret names the paywall, so adding a newer one (a rotation) does not change it.
  const oldest = secrets.at(-1)
  if (oldest === undefined)
    throw new Stripe402ConfigError('secret', 'must hold at least one secret')
  if (!routes) throw new Stripe402ConfigError('routes', 'are invalid')
  const paywallId = config.paywallId ?? paywallIdFor(oldest)
  const paywallIds = new Set(config.paywallId ? [config.paywallId] : secrets.map(paywallIdFor))

  const reverse = config.reverseDebit ?? 'on-5xx'
  return {
    stripe: {
      secretKey: config.stripe.secretKey,
      publishableKey: config.stripe.publishableKey,
      apiBase: config.stripe.apiBase ?? DEFAULTS.apiBase,
      timeoutMs: config.stripe.timeoutMs ?? DEFAULTS.timeoutMs,
      maxNetworkRetries: config.stripe.maxNetworkRetries ?? DEFAULTS.maxNetworkRetries,
      httpClient: config.stripe.httpClient ?? defaultHttpClient(globalThis.process),
      client: config.stripe.client,
    },
    secrets,
    paywallId,
    paywallIds,
    ledger: config.ledger,
    routes,
    credentials: config.credentials ?? 'token',
    shouldReverse:
      reverse === 'on-5xx'
        ? (status) => status >= 500
        : reverse === 'never'
          ? () => false
          : reverse,
    webhook:
      config.webhook && webhookPath
        ? { secret: config.webhook.secret, path: webhookPath }
        : undefined,
    freezeOnDispute: config.freezeOnDispute ?? true,
    caseSensitive,
    rateLimits: resolveRateLimits(config.rateLimits),
    discoveryPath: discoveryPath ?? null,
    onEvent: config.onEvent,
    logger,
    originBinding: {
      origins: config.origins ? new Set(config.origins) : null,
      unbound: config.unboundPaymentMethods ?? 'new-accounts',
    },
    // Announced only with origins to check against: without them a foreign binding goes unseen.
    extensions: config.origins
      ? [...HONOURED_EXTENSIONS, ORIGIN_BINDING.EXTENSION]
      : HONOURED_EXTENSIONS,
    lockWaitMs: config.lockWaitMs ?? DEFAULTS.lockWaitMs,
    lockTtlMs: config.lockTtlMs ?? DEFAULTS.lockTtlMs,
    holds: {
      holdMs: config.holdMs ?? DEFAULTS.holdMs,
      flushMs: config.settleBatchMs ?? DEFAULTS.settleBatchMs,
    },
    cors: {
      origins:
        config.cors?.origins === undefined || config.cors.origins === '*'
          ? null
          : new Set(config.cors.origins.map((o) => o.toLowerCase())),
      maxAge: config.cors?.maxAge ?? DEFAULTS.corsMaxAge,
    },
  }
}

function resolveRateLimits(
  input: z.infer<typeof PaywallConfigSchema>['rateLimits'],
): ResolvedRateLimits {
  if (input === false) return {}
  const pick = <K extends keyof ResolvedRateLimits>(name: K): RateLimit | undefined => {
    const value = input?.[name]
    return value === false ? undefined : (value ?? DEFAULTS.rateLimits[name])
  }
  return {
    failedPaymentsPerAddress: pick('failedPaymentsPerAddress'),
    failedPaymentsPerCard: pick('failedPaymentsPerCard'),
    topUpsPerAccount: pick('topUpsPerAccount'),
  }
}

type ParsedConfig = z.infer<typeof PaywallConfigSchema>
type Report = (field: string, message: string) => void

/** Each route on its own, so that every bad route is reported; then the table, if they all resolved. */
function resolveRoutes(
  input: Record<string, unknown>,
  caseSensitive: boolean,
  report: Report,
  clean: (key: string) => boolean,
): RouteTable<ResolvedRoute> | undefined {
  const reportError = (error: unknown) => {
    if (error instanceof Stripe402ConfigError) {
      for (const issue of error.issues) report(issue.field, issue.message)
      return
    }
    const message = (error as Error).message
    const key = /^route "(.*?)": /.exec(message)?.[1]
    report(
      key === undefined ? 'routes' : `routes[${JSON.stringify(key)}]`,
      message.replace(/^route ".*?": /, ''),
    )
  }
  const resolved: Record<string, ResolvedRoute> = {}
  let failed = false
  for (const [key, route] of Object.entries(input)) {
    const parsed = RouteConfigSchema.safeParse(route)
    if (!clean(key) || !parsed.success) {
      failed = true
      continue
    }
    try {
      resolved[key] = resolveRoute(key, parsed.data)
    } catch (error) {
      failed = true
      reportError(error)
    }
  }
  if (failed) return undefined
  try {
    return compileRoutes(resolved, { caseSensitive })
  } catch (error) {
    reportError(error)
    return undefined
  }
}

function normalizeConfigPath(
  path: string,
  field: string,
  caseSensitive: boolean,
  report: Report,
): string | undefined {
  const normalized = normalizePath(path, { caseSensitive })
  if (!normalized.ok) return void report(field, normalized.reason)
  return normalized.path
}

/** `['routes', 'GET /x', 'amount']` → `routes["GET /x"].amount`. */
function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path
    .map((part, index) => {
      if (typeof part === 'number') return `[${part}]`
      const text = String(part)
      if (/^[A-Za-z_$][\w$]*$/.test(text)) return index === 0 ? text : `.${text}`
      return `[${JSON.stringify(text)}]`
    })
    .join('')
}
