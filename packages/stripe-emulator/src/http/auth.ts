/** API keys: `sk_test_<account>` and `pk_test_<account>`, sent as Bearer or Basic credentials. */
import { ApiError } from '../errors'

export type KeyKind = 'secret' | 'publishable'

export interface Credentials {
  account: string
  kind: KeyKind
  key: string
}

const KEY_PATTERN = /^(sk|pk)_test_([A-Za-z0-9_-]{1,200})$/

/** The key as written in the header, before it is checked; null when none was sent. */
export function extractKey(authorization: string | undefined): string | null {
  if (!authorization) return null
  const [scheme, ...rest] = authorization.trim().split(/\s+/)
  const value = rest.join(' ')
  if (!scheme || !value) return null
  if (scheme.toLowerCase() === 'bearer') return value
  if (scheme.toLowerCase() === 'basic') {
    // curl -u sk_test_x: sends "sk_test_x:"; the key is the user name, the password is ignored.
    const decoded = Buffer.from(value, 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    return colon === -1 ? decoded : decoded.slice(0, colon)
  }
  return null
}

export function parseKey(key: string | null): Credentials | null {
  if (key === null) return null
  const match = KEY_PATTERN.exec(key)
  if (!match) return null
  return { kind: match[1] === 'sk' ? 'secret' : 'publishable', account: match[2] as string, key }
}

function redact(key: string): string {
  const tail = key.slice(-4)
  const head = key.slice(0, key.indexOf('_', 3) + 1)
  return `${head}${'*'.repeat(Math.max(0, key.length - head.length - 4))}${tail}`
}

/**
 * Stripe answers a missing or unknown key with HTTP 401 (which the SDK raises as
 * StripeAuthenticationError); the body's type is `invalid_request_error`, as on Stripe.
 */
export function authenticationError(key: string | null): ApiError {
  if (key === null || key === '') {
    return new ApiError(401, {
      type: 'invalid_request_error',
      message:
        "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.",
    })
  }
  const live = key.startsWith('sk_live_') || key.startsWith('pk_live_') || key.startsWith('rk_')
  return new ApiError(401, {
    type: 'invalid_request_error',
    message: live
      ? `Invalid API Key provided: ${redact(key)}. The Stripe emulator only accepts test mode keys (sk_test_<account>, pk_test_<account>).`
      : `Invalid API Key provided: ${redact(key)}`,
  })
}

/** HTTP 403 (StripePermissionError in the SDK): a publishable key used beyond tokenization. */
export function publishableKeyError(): ApiError {
  return new ApiError(403, {
    type: 'invalid_request_error',
    message:
      'This API call cannot be made with a publishable API key. Please use a secret API key. You can find a list of your API keys at https://dashboard.stripe.com/account/apikeys.',
  })
}
