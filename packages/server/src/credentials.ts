/** Credentials: the `clientId` a payer spends credits with, issued as a random token stored only as a hash. */
import * as nodeCrypto from 'node:crypto'
import { isAccountId } from './identity'

/** Token format: `s402_<accountId>_<32 random bytes, base64url>`. The account id lets ledgers co-locate the check with the balance. */
const TOKEN = /^s402_([0-9a-f]{64})_([A-Za-z0-9_-]{43})$/

export type ParsedClientId =
  /** A revocable token: spend with `credentialHash`. */
  | { kind: 'token'; accountId: string; credentialHash: string }
  /** A v1-style clientId that is the account id itself. */
  | { kind: 'account'; accountId: string }

/** A fresh token for an account and the hash the ledger stores instead of it. */
export function issueToken(accountId: string): { token: string; credentialHash: string } {
  const token = `s402_${accountId}_${nodeCrypto.randomBytes(32).toString('base64url')}`
  return { token, credentialHash: hashCredential(token) }
}

/** SHA-256 hex: tokens carry 256 random bits, so a fast hash is enough and keeps the credit path cheap. */
export function hashCredential(token: string): string {
  return sha256Hex(token)
}

/**
 * The one-shot `crypto.hash` (Node 20.12+) digests a token in a third of the time a Hash object
 * takes; both read a string as UTF-8 and give the same hex. Older Node falls back.
 */
const sha256Hex: (text: string) => string =
  typeof nodeCrypto.hash === 'function'
    ? (text) => nodeCrypto.hash('sha256', text, 'hex')
    : (text) => nodeCrypto.createHash('sha256').update(text, 'utf8').digest('hex')

/**
 * Reads a clientId without touching the ledger. In `token` mode a bare account id is refused
 * (it cannot be revoked); in `account` mode both forms work, so switching modes strands nobody.
 */
export function parseClientId(clientId: string, mode: 'token' | 'account'): ParsedClientId | null {
  const known = recentTokens.get(clientId)
  if (known !== undefined) return known
  const accountId = TOKEN.exec(clientId)?.[1]
  if (accountId) return remember(clientId, accountId)
  if (mode === 'account' && isAccountId(clientId)) return { kind: 'account', accountId: clientId }
  return null
}

/**
 * Tokens parsed lately and what they parse to. An agent in steady state sends the same token on
 * every call: looking it up costs a string hash, where parsing and SHA-256 cost about a
 * microsecond. A token's parse never changes (revocation is the ledger's answer, not this one's),
 * so a hit is always right; the oldest entry makes room. It holds live bearer tokens in memory,
 * as each request in flight does anyway, and none outlives the process.
 */
const recentTokens = new Map<string, Readonly<ParsedClientId>>()
const RECENT_TOKENS = 2048

function remember(token: string, accountId: string): Readonly<ParsedClientId> {
  const parsed = Object.freeze({
    kind: 'token' as const,
    accountId,
    credentialHash: hashCredential(token),
  })
  if (recentTokens.size >= RECENT_TOKENS) {
    const oldest = recentTokens.keys().next()
    if (!oldest.done) recentTokens.delete(oldest.value)
  }
  recentTokens.set(token, parsed)
  return parsed
}
