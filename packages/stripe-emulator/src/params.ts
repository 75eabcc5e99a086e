/** Typed reads of form parameters, failing with Stripe's own parameter errors. */
import { invalidRequest, missingParam, unknownParam } from './errors'
import type { FormObject, FormValue } from './http/form'

export type { FormObject, FormValue }

/** `card[number]` for name `number` under prefix `card`. */
export function paramName(prefix: string | undefined, name: string): string {
  return prefix ? `${prefix}[${name}]` : name
}

interface ReadOptions {
  required?: boolean
  prefix?: string
}

/** Rejects any parameter outside `allowed`, as Stripe does ("Received unknown parameter"). */
export function rejectUnknown(
  params: FormObject,
  allowed: readonly string[],
  prefix?: string,
): void {
  for (const key of Object.keys(params)) {
    if (!allowed.includes(key)) throw unknownParam(paramName(prefix, key))
  }
}

function emptyError(name: string) {
  return invalidRequest(
    `You passed an empty string for '${name}'. We assume empty values are an attempt to unset a parameter; however '${name}' cannot be unset. You should remove '${name}' from your request or supply a non-empty value.`,
    name,
    'parameter_invalid_empty',
  )
}

/** A string parameter; `''` means "unset" and is returned as null where unsetting is allowed. */
export function readString(
  params: FormObject,
  name: string,
  options: ReadOptions & { nullable?: boolean; maxLength?: number } = {},
): string | null | undefined {
  const full = paramName(options.prefix, name)
  const value = params[name]
  if (value === undefined) {
    if (options.required) throw missingParam(full)
    return undefined
  }
  if (typeof value !== 'string')
    throw invalidRequest(
      `Invalid string: ${JSON.stringify(value)}`,
      full,
      'parameter_invalid_string',
    )
  if (value === '') {
    if (options.nullable) return null
    throw emptyError(full)
  }
  if (options.maxLength !== undefined && value.length > options.maxLength) {
    throw invalidRequest(
      `Invalid ${full}: must be at most ${options.maxLength} characters`,
      full,
      'parameter_invalid_string',
    )
  }
  return value
}

export function readInteger(
  params: FormObject,
  name: string,
  options: ReadOptions = {},
): number | undefined {
  const full = paramName(options.prefix, name)
  const value = params[name]
  if (value === undefined) {
    if (options.required) throw missingParam(full)
    return undefined
  }
  if (value === '') throw emptyError(full)
  if (typeof value !== 'string' || !/^-?\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw invalidRequest(
      `Invalid integer: ${typeof value === 'string' ? value : JSON.stringify(value)}`,
      full,
      'parameter_invalid_integer',
    )
  }
  return Number(value)
}

export function readBoolean(
  params: FormObject,
  name: string,
  options: ReadOptions = {},
): boolean | undefined {
  const full = paramName(options.prefix, name)
  const value = params[name]
  if (value === undefined) {
    if (options.required) throw missingParam(full)
    return undefined
  }
  if (value === 'true') return true
  if (value === 'false') return false
  throw invalidRequest(
    `Invalid boolean: ${typeof value === 'string' ? value : JSON.stringify(value)}`,
    full,
  )
}

export function readEnum<T extends string>(
  params: FormObject,
  name: string,
  values: readonly T[],
  options: ReadOptions = {},
): T | undefined {
  const value = readString(params, name, options)
  if (value === undefined || value === null) return undefined
  if (!(values as readonly string[]).includes(value)) {
    const full = paramName(options.prefix, name)
    throw invalidRequest(`Invalid ${full}: must be one of ${values.join(', ')}`, full)
  }
  return value as T
}

/** A nested hash parameter such as `card[...]`; `''` is returned as null (unset). */
export function readObject(
  params: FormObject,
  name: string,
  options: ReadOptions = {},
): FormObject | null | undefined {
  const full = paramName(options.prefix, name)
  const value = params[name]
  if (value === undefined) {
    if (options.required) throw missingParam(full)
    return undefined
  }
  if (value === '') return null
  if (typeof value === 'string' || Array.isArray(value)) {
    throw invalidRequest(
      `Invalid hash: ${full} must be an object`,
      full,
      'parameter_invalid_string',
    )
  }
  return value
}

export function readStringArray(
  params: FormObject,
  name: string,
  options: ReadOptions = {},
): string[] | undefined {
  const full = paramName(options.prefix, name)
  const value = params[name]
  if (value === undefined) {
    if (options.required) throw missingParam(full)
    return undefined
  }
  if (value === '') return []
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw invalidRequest(`Invalid array: ${full} must be a list of strings`, full)
  }
  return value as string[]
}

export type Metadata = Record<string, string>

/**
 * Applies Stripe's metadata update rules to `current`: `metadata=''` clears every key,
 * `metadata[k]=''` removes one key, other keys are merged. Limits are Stripe's: 50 keys,
 * keys up to 40 characters, values up to 500.
 */
export function applyMetadata(
  params: FormObject,
  current: Metadata = {},
  name = 'metadata',
): Metadata {
  const value = params[name]
  if (value === undefined) return current
  if (value === '') return {}
  if (typeof value === 'string')
    throw invalidRequest('Invalid metadata: metadata must be an object', name)
  const entries = Array.isArray(value)
    ? value.map((v, i) => [String(i), v] as const)
    : Object.entries(value)
  const next: Metadata = { ...current }
  for (const [key, v] of entries) {
    if (typeof v !== 'string')
      throw invalidRequest(
        `Invalid value for metadata[${key}]: values must be strings`,
        `${name}[${key}]`,
      )
    if (key.length > 40) {
      throw invalidRequest(
        `Metadata keys can have up to 40 characters, but you passed in a key that is ${key.length} characters: '${key}'`,
        `${name}[${key}]`,
      )
    }
    if (v.length > 500) {
      throw invalidRequest(
        `Metadata values can have up to 500 characters, but you passed in a value that is ${v.length} characters: '${key}'`,
        `${name}[${key}]`,
      )
    }
    if (v === '') delete next[key]
    else next[key] = v
  }
  if (Object.keys(next).length > 50) throw invalidRequest('Metadata can have up to 50 keys.', name)
  return next
}

/** The `expand[]` parameter. */
export function readExpand(params: FormObject): string[] {
  return readStringArray(params, 'expand') ?? []
}
