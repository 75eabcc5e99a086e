/** Header codec: base64 of UTF-8 JSON, strict and safe to run on hostile input. */
import type { z } from 'zod'
import { base64DecodeUtf8, base64EncodeUtf8 } from './base64'
import { DEFAULT_MAX_HEADER_BYTES } from './constants'
import { Stripe402Error } from './errors'
import { checkedPaymentPayload, checkedPaymentResponse } from './fast-checks'
import { parseJsonSafely } from './json'
import {
  type PaymentPayload,
  PaymentPayloadSchema,
  type PaymentRequired,
  PaymentRequiredSchema,
  type PaymentResponse,
  PaymentResponseSchema,
} from './schemas'

export interface DecodeOptions {
  /**
   * Largest encoded header accepted, in bytes; checked before any decoding. Default 8 KiB
   * (`DEFAULT_MAX_HEADER_BYTES`). Must be a positive integer, or the decoder throws a `RangeError`.
   */
  maxBytes?: number
}

/**
 * Encodes any JSON value as a header: padded base64 of its UTF-8 JSON, as v1 writes it.
 * A value JSON cannot hold (`undefined`, a function, a symbol, a BigInt, a cycle) throws
 * `Stripe402Error` `invalid_payment`, never a TypeError nor a header of the text "undefined".
 */
export function encodeHeader(value: unknown): string {
  return encodeJson(value, true)
}

/** `encodeHeader`; `mayHoldForbiddenKey: false` skips the key scan for a value whose keys are known (a checked message). */
function encodeJson(value: unknown, mayHoldForbiddenKey: boolean): string {
  let json: string | undefined
  try {
    json = JSON.stringify(value)
  } catch (error) {
    throw new Stripe402Error(
      'invalid_payment',
      `Refusing to encode a header: the value is not JSON (${error instanceof Error ? error.message : String(error)}).`,
    )
  }
  if (typeof json !== 'string')
    throw new Stripe402Error(
      'invalid_payment',
      `Refusing to encode a header: ${typeof value} is not a JSON value.`,
    )
  // A header every peer's decoder (ours included) would refuse is not written: the safe parser
  // runs only when a forbidden key may be there, so ordinary headers cost one regex test.
  if (mayHoldForbiddenKey && MAYBE_FORBIDDEN_KEY.test(json)) {
    const checked = parseJsonSafely(json)
    if (!checked.ok)
      throw new Stripe402Error(
        'invalid_payment',
        `Refusing to encode a header: its JSON ${checked.reason}.`,
      )
  }
  return base64EncodeUtf8(json)
}

const MAYBE_FORBIDDEN_KEY = /"(?:__proto__|constructor|prototype)"\s*:/

/**
 * Decodes a header into plain JSON without validating its shape (size cap, base64 or
 * base64url, UTF-8, JSON without forbidden keys or deep nesting are still enforced).
 * Throws only `Stripe402Error` with code `invalid_payment`.
 */
export function decodeHeader(header: unknown, options: DecodeOptions = {}): unknown {
  return decodeRaw(header, 'stripe402', options)
}

function decodeRaw(header: unknown, what: string, options: DecodeOptions = {}): unknown {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_HEADER_BYTES
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
    // A configuration mistake, not a bad header: fail loudly rather than answer 402 to everyone.
    throw new RangeError(
      `DecodeOptions.maxBytes must be a positive integer, got ${String(maxBytes)}.`,
    )
  }
  if (typeof header !== 'string') throw invalidHeader(what, 'it is missing or not a string')
  // The cap comes first, before even trimming, so an oversized header costs nothing to refuse.
  // Header values are ASCII when valid, so string length equals byte length for every header that could pass.
  if (header.length > maxBytes)
    throw invalidHeader(what, `it is ${header.length} bytes; the limit is ${maxBytes}`)
  const trimmed = trimOptionalWhitespace(header)
  if (trimmed.length === 0) throw invalidHeader(what, 'it is empty')
  const text = base64DecodeUtf8(trimmed)
  if (text === undefined) throw invalidHeader(what, 'it is not base64 (or base64url) of UTF-8 text')
  const parsed = parseJsonSafely(text)
  if (!parsed.ok) throw invalidHeader(what, `its JSON ${parsed.reason}`)
  return parsed.value
}

function decodeWith<S extends z.ZodType>(
  schema: S,
  what: string,
  header: unknown,
  options?: DecodeOptions,
  checked?: (value: unknown) => z.infer<S> | undefined,
): z.infer<S> {
  const value = decodeRaw(header, what, options)
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidHeader(what, 'it must hold a JSON object')
  }
  // The schema's rules written out (fast-checks.ts) answer the common case; the schema decides the rest.
  const fast = checked?.(value)
  if (fast !== undefined) return fast
  const result = schema.safeParse(value)
  if (!result.success) {
    const issue = result.error.issues[0]
    const path = issue && issue.path.length > 0 ? issue.path.join('.') : what
    throw invalidHeader(what, `${path}: ${issue?.message ?? 'does not match the schema'}`)
  }
  return result.data
}

function encodeWith<S extends z.ZodType>(schema: S, what: string, value: z.input<S>): string {
  const result = schema.safeParse(value)
  if (!result.success) {
    const issue = result.error.issues[0]
    throw new Stripe402Error(
      'invalid_payment',
      `Refusing to encode an invalid ${what}: ${issue?.path.join('.') || what}: ${issue?.message}.`,
    )
  }
  return encodeValid(what, result.data, true)
}

function encodeValid(what: string, value: unknown, mayHoldForbiddenKey: boolean): string {
  const header = encodeJson(value, mayHoldForbiddenKey)
  if (header.length > DEFAULT_MAX_HEADER_BYTES) {
    // Peers refuse headers above the default cap, so sending one would strand the client.
    throw new Stripe402Error(
      'invalid_payment',
      `Refusing to encode a ${what} header of ${header.length} bytes: peers refuse more than ${DEFAULT_MAX_HEADER_BYTES}. Shorten descriptions or offer fewer options.`,
    )
  }
  return header
}

/** Strips HTTP optional whitespace (spaces and tabs) at both ends; a loop, so no regex backtracking. */
function trimOptionalWhitespace(value: string): string {
  let start = 0
  let end = value.length
  while (start < end && isOptionalWhitespace(value.charCodeAt(start))) start++
  while (end > start && isOptionalWhitespace(value.charCodeAt(end - 1))) end--
  return value.slice(start, end)
}

const isOptionalWhitespace = (code: number) => code === 0x20 || code === 0x09

function invalidHeader(what: string, message: string): Stripe402Error {
  return new Stripe402Error('invalid_payment', `Malformed ${what} header: ${message}.`)
}

export const encodePaymentRequired = (value: PaymentRequired): string =>
  encodeWith(PaymentRequiredSchema, 'PaymentRequired', value)
export const decodePaymentRequired = (header: unknown, options?: DecodeOptions): PaymentRequired =>
  decodeWith(PaymentRequiredSchema, 'payment-required', header, options)

export const encodePaymentPayload = (value: PaymentPayload): string =>
  encodeWith(PaymentPayloadSchema, 'PaymentPayload', value)
/**
 * Decodes a `payment` header. A client in steady state sends the same header on every call (its
 * credential and price ceiling), so the last headers decoded with the default options are
 * remembered: a repeat costs a Map lookup, not base64, JSON and the checks. Each call still gets
 * an object of its own; only headers that decoded are remembered, and only short ones.
 */
export const decodePaymentPayload = (header: unknown, options?: DecodeOptions): PaymentPayload => {
  const remembered =
    options === undefined && typeof header === 'string' && header.length <= REMEMBERED_HEADER_MAX
  if (remembered) {
    const known = recentPayloads.get(header)
    if (known !== undefined) return { ...known }
  }
  const payload = decodeWith(
    PaymentPayloadSchema,
    'payment',
    header,
    options,
    checkedPaymentPayload,
  )
  if (remembered) {
    if (recentPayloads.size >= RECENT_PAYLOADS) {
      const oldest = recentPayloads.keys().next()
      if (!oldest.done) recentPayloads.delete(oldest.value)
    }
    recentPayloads.set(header, Object.freeze({ ...payload }))
  }
  return payload
}

const recentPayloads = new Map<string, Readonly<PaymentPayload>>()
const RECENT_PAYLOADS = 1024
/** A credential header is about 200 characters; a long one (a big idempotency key) is decoded each time. */
const REMEMBERED_HEADER_MAX = 512

export const encodePaymentResponse = (value: PaymentResponse): string => {
  const checked = checkedPaymentResponse(value)
  return checked
    ? encodeValid('PaymentResponse', checked, false)
    : encodeWith(PaymentResponseSchema, 'PaymentResponse', value)
}
export const decodePaymentResponse = (header: unknown, options?: DecodeOptions): PaymentResponse =>
  decodeWith(PaymentResponseSchema, 'payment-response', header, options)
