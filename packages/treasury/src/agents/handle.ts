/** Agent ids and handles: a handle is the agent's id and a random secret; only the secret's SHA-256 is stored. */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

const HANDLE = /^s402a_(ag[0-9a-f]{20})\.([A-Za-z0-9_-]{43})$/

export function newAgentId(): string {
  return `ag${randomBytes(10).toString('hex')}`
}

/** A new handle for the agent, and the hash to store. The handle is shown once and never kept. */
export function newHandle(agentId: string): { handle: string; secretHash: string } {
  const secret = randomBytes(32).toString('base64url')
  return { handle: `s402a_${agentId}.${secret}`, secretHash: hashSecret(secret) }
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex')
}

/** The agent id and secret of a well-formed handle, else `undefined`. */
export function parseHandle(handle: string): { agentId: string; secret: string } | undefined {
  const match = HANDLE.exec(handle)
  if (!match?.[1] || !match[2]) return undefined
  return { agentId: match[1], secret: match[2] }
}

/** Compares the secret's hash with the stored one in constant time. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const given = Buffer.from(hashSecret(secret), 'hex')
  const stored = Buffer.from(storedHash, 'hex')
  return given.length === stored.length && timingSafeEqual(given, stored)
}

/** Constant-time equality of two strings of any length (admin token, CSRF token): compares their hashes. */
export function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest()
  const b = createHash('sha256').update(expected, 'utf8').digest()
  return timingSafeEqual(a, b)
}
