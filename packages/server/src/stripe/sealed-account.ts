/** The account id as Stripe metadata keeps it when the account id itself spends (`credentials: 'account'`). */
import { createCipheriv, createDecipheriv, createHmac } from 'node:crypto'

const PREFIX = 'sealed1_'
const IV_BYTES = 12
const TAG_BYTES = 16

function keyOf(secret: string): Buffer {
  return createHmac('sha256', secret).update('stripe402 metadata seal', 'utf8').digest()
}

/**
 * AES-256-GCM under a key derived from the newest secret. The IV is derived from the account
 * id, so the same account always seals to the same value: a top-up replayed after a lost answer
 * must send Stripe exactly the parameters of the first request.
 */
export function sealAccountId(secrets: readonly string[], accountId: string): string {
  const secret = secrets[0]
  if (secret === undefined) throw new Error('sealAccountId needs at least one secret')
  const key = keyOf(secret)
  const iv = createHmac('sha256', key).update(accountId, 'utf8').digest().subarray(0, IV_BYTES)
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  const sealed = Buffer.concat([cipher.update(accountId, 'utf8'), cipher.final()])
  return PREFIX + Buffer.concat([iv, sealed, cipher.getAuthTag()]).toString('base64url')
}

/**
 * The account id in a metadata value: a sealed one opened with whichever secret sealed it (they
 * rotate), a plain one (token mode, or written before sealing existed) as it is; null when a
 * sealed value opens under none of the secrets.
 */
export function openAccountId(secrets: readonly string[], value: string): string | null {
  if (!value.startsWith(PREFIX)) return value
  const bytes = Buffer.from(value.slice(PREFIX.length), 'base64url')
  if (bytes.length <= IV_BYTES + TAG_BYTES) return null
  const iv = bytes.subarray(0, IV_BYTES)
  const tag = bytes.subarray(bytes.length - TAG_BYTES)
  const body = bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)
  for (const secret of secrets) {
    try {
      const decipher = createDecipheriv('aes-256-gcm', keyOf(secret), iv)
      decipher.setAuthTag(tag)
      return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8')
    } catch {
      // Sealed under another secret of the rotation (or forged): try the next.
    }
  }
  return null
}
