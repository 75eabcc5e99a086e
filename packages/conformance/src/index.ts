/** @stripe402/conformance: audits any stripe402 server implementation must pass, and their reports. */
export { serverAudits } from './audits'
export type { Audit, AuditLevel, AuditName, AuditResult, Evidence } from './audits/types'
export { auditServer, type AuditServerOptions, type Report, summarize } from './report/run'
export { renderTable } from './report/table'
export { renderJson } from './report/json'
export { renderMarkdown } from './report/markdown'
export { CARDS, type Card, testCard } from './session/cards'
export { createPaymentMethod } from './session/tokenize'
export type {
  CustomPayment,
  FetchLike,
  PaymentSource,
  ServerAuditOptions,
  StripeApiPayment,
} from './session/options'
