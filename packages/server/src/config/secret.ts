/** Judges the server secret: account ids are only as unguessable as it is. */

/** Minimum length for production: 32 characters is 192+ bits as base64 or 128 as hex. */
export const MIN_SECRET_LENGTH = 32

/** Values copied from examples and tutorials; seeing one in production means nobody chose a secret. */
const WELL_KNOWN = new Set([
  'secret',
  'changeme',
  'change-me',
  'change_me',
  'changeit',
  'password',
  'default',
  'test',
  'testing',
  'dev',
  'development',
  'stripe402',
  'stripe402-secret',
  'stripe402_secret',
  'server-secret',
  'server_secret',
  'my-secret',
  'mysecret',
  'supersecret',
  'your-secret',
  'your-secret-here',
  'your_secret_here',
  'replace-me',
  'replace_me',
  'keyboard cat',
  'secret-key',
  'secretkey',
  'a-very-long-secret-that-is-at-least-32-chars',
  'change-this-to-a-long-random-secret-in-production',
])

/**
 * Words that mark a value written for a README or a template, however long the rest of it is
 * (`example-only-secret-change-me-in-production-0123456789`). Random secrets never contain them.
 */
const PLACEHOLDER_WORDS = [
  'changeme',
  'changethis',
  'changeit',
  'replaceme',
  'example',
  'placeholder',
  'yoursecret',
  'mysecret',
  'supersecret',
  'topsecret',
  'secretkey',
  'notasecret',
  'notsecret',
  'insecure',
  'dummy',
  'donotuse',
  'fillmein',
  'xxxxxx',
]

/** Why `secret` is weak, or undefined when it looks like a real random secret. */
export function secretWeakness(secret: string, stripeSecretKey?: string): string | undefined {
  const lowered = secret.trim().toLowerCase()
  if (WELL_KNOWN.has(lowered)) return 'it is a well-known example value'
  // Separators dropped, so `change-me`, `change_me` and `Change Me` all read `changeme`.
  const squashed = lowered.replace(/[^a-z0-9]/g, '')
  // No word is quoted back: the message is logged, and the word may be most of the secret.
  if (PLACEHOLDER_WORDS.some((w) => squashed.includes(w)))
    return 'it reads like a placeholder from an example or a template; use a random secret'
  if (stripeSecretKey !== undefined && secret === stripeSecretKey)
    return 'it is the Stripe secret key; use a separate random secret'
  if (secret.length < MIN_SECRET_LENGTH)
    return `it is ${secret.length} characters; use at least ${MIN_SECRET_LENGTH} random ones (e.g. \`openssl rand -base64 32\`)`
  if (new Set(secret).size < 8) return 'it repeats too few distinct characters to be random'
  return undefined
}
