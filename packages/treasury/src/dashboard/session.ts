/**
 * The dashboard's login: a session cookie signed with a key derived from the admin token (so every
 * instance accepts it and rotating the token ends every session), and a form token per session
 * that every action must carry.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

export const SESSION_COOKIE = 'treasury_session'
/** Twelve hours. */
export const SESSION_TTL_MS = 12 * 3_600_000

function key(adminToken: string, purpose: string): Buffer {
  return createHmac('sha256', adminToken).update(`stripe402-treasury ${purpose}`).digest()
}

function mac(adminToken: string, purpose: string, value: string): string {
  return createHmac('sha256', key(adminToken, purpose)).update(value).digest('base64url')
}

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/** A new session value: expiry, a random id, and their MAC. */
export function newSession(adminToken: string, now: number): string {
  const body = `${now + SESSION_TTL_MS}.${randomBytes(16).toString('base64url')}`
  return `${body}.${mac(adminToken, 'session', body)}`
}

/** True when the value was made with this admin token and has not expired. */
export function validSession(adminToken: string, value: string | undefined, now: number): boolean {
  if (!value) return false
  const match = /^(\d{1,16})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/.exec(value)
  if (!match?.[1] || !match[2] || !match[3]) return false
  if (!equal(mac(adminToken, 'session', `${match[1]}.${match[2]}`), match[3])) return false
  return Number(match[1]) > now
}

/** The form token of a session: a page's forms carry it, and an action without it is refused. */
export function formToken(adminToken: string, session: string): string {
  return mac(adminToken, 'form', session)
}

export function validFormToken(adminToken: string, session: string, token: string | null): boolean {
  return token !== null && equal(formToken(adminToken, session), token)
}

export function readCookie(request: Request, name: string): string | undefined {
  for (const part of (request.headers.get('cookie') ?? '').split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}

/** HttpOnly, SameSite=Strict, on the dashboard's path; Secure when served over HTTPS. */
export function sessionCookie(value: string, secure: boolean, maxAgeMs = SESSION_TTL_MS): string {
  return [
    `${SESSION_COOKIE}=${value}`,
    'Path=/dashboard',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${Math.floor(maxAgeMs / 1000)}`,
    ...(secure ? ['Secure'] : []),
  ].join('; ')
}
