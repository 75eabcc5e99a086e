/** Account identity: the same card is the same account on this server, and unlinkable across servers. */
import { createHmac } from 'node:crypto'
import type { Ledger } from './ledger/types'

/** Hex HMAC-SHA256 of a card fingerprint under one server secret. */
export function accountIdFor(secret: string, fingerprint: string): string {
  return createHmac('sha256', secret).update(fingerprint, 'utf8').digest('hex')
}

/** The default paywall id under a secret: 16 hex characters, stable for the secret and revealing nothing about it. */
export function paywallIdFor(secret: string): string {
  return createHmac('sha256', secret)
    .update('stripe402 paywall id', 'utf8')
    .digest('hex')
    .slice(0, 16)
}

/** True for something shaped like an account id (64 lower-case hex characters). */
/**
 * What events, logs and the handler's receipt carry for an account. With `credentials: 'account'`
 * the account id is itself the credential that spends, so they carry an HMAC of it under its own
 * label instead: stable per account and secret, never parsed as a clientId (`ref_` prefix).
 */
export function publicAccountId(
  config: { credentials: 'token' | 'account'; secrets: readonly string[] },
  accountId: string,
): string {
  const secret = config.secrets[0]
  if (config.credentials !== 'account' || secret === undefined) return accountId
  const mac = createHmac('sha256', secret)
    .update(`stripe402 account reference\n${accountId}`, 'utf8')
    .digest('hex')
  return `ref_${mac}`
}

export function isAccountId(value: string): boolean {
  return /^[0-9a-f]{64}$/.test(value)
}

/**
 * The account a card belongs to. With one secret that is a pure function. During a
 * rotation (newest-first secrets) the newest secret names new accounts, but a card that
 * already has history under an older secret keeps that account, so its balance, its
 * frozen flag and its credentials stay where they are. Costs one cheap existence check per
 * secret on the payment path, and only while more than one secret is configured.
 */
export async function resolveAccountId(
  secrets: readonly string[],
  fingerprint: string,
  ledger: Pick<Ledger, 'hasHistory'>,
): Promise<string> {
  const [newest, ...older] = secrets.map((secret) => accountIdFor(secret, fingerprint))
  if (newest === undefined) throw new Error('resolveAccountId needs at least one secret')
  if (older.length === 0) return newest
  if (await ledger.hasHistory(newest)) return newest
  for (const candidate of older) {
    if (await ledger.hasHistory(candidate)) return candidate
  }
  return newest
}
