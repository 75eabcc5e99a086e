/** Parses Stripe's form encoding (`metadata[k]=v`, `expand[]=x`, `items[0][price]=p`) into nested values. */

export type FormValue = string | FormValue[] | FormObject
export interface FormObject {
  [key: string]: FormValue
}

/** Keys that would reach Object.prototype if used as property names. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype'])
const MAX_DEPTH = 10

/** Splits `a[b][c]` into `['a', 'b', 'c']`; `[]` yields an empty segment meaning "append". */
function splitKey(key: string): string[] | null {
  const open = key.indexOf('[')
  if (open === -1) return [key]
  const segments = [key.slice(0, open)]
  let rest = key.slice(open)
  while (rest.length > 0) {
    const match = /^\[([^[\]]*)\]/.exec(rest)
    if (!match) return null
    segments.push(match[1] ?? '')
    rest = rest.slice(match[0].length)
  }
  return segments
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replaceAll('+', ' '))
  } catch {
    return text
  }
}

/**
 * Containers are built as objects whose numeric keys mark list entries; `listify` turns
 * every object whose keys are all indexes into an array afterwards, as the `qs` parser does.
 */
export function parseForm(encoded: string): FormObject {
  const root: FormObject = {}
  const text = encoded.startsWith('?') ? encoded.slice(1) : encoded
  if (text.length === 0) return root
  for (const pair of text.split('&')) {
    if (pair.length === 0) continue
    const eq = pair.indexOf('=')
    const rawKey = decode(eq === -1 ? pair : pair.slice(0, eq))
    const value = eq === -1 ? '' : decode(pair.slice(eq + 1))
    const segments = splitKey(rawKey)
    if (!segments || segments.length > MAX_DEPTH || segments[0] === '') continue
    if (segments.some((s) => FORBIDDEN_KEYS.has(s))) continue
    assign(root, segments, value)
  }
  return listify(root) as FormObject
}

function assign(root: FormObject, segments: string[], value: string): void {
  let node: FormObject = root
  for (let i = 0; i < segments.length; i++) {
    let segment = segments[i] as string
    if (segment === '') segment = String(Object.keys(node).length)
    if (i === segments.length - 1) {
      node[segment] = value
      return
    }
    const next = node[segment]
    if (next === undefined || typeof next === 'string') {
      const child: FormObject = {}
      node[segment] = child
      node = child
    } else {
      node = next as FormObject
    }
  }
}

function listify(value: FormValue): FormValue {
  if (typeof value === 'string' || Array.isArray(value)) return value
  const keys = Object.keys(value)
  for (const key of keys) value[key] = listify(value[key] as FormValue)
  if (keys.length > 0 && keys.every((k) => /^(0|[1-9]\d{0,3})$/.test(k))) {
    return keys
      .map(Number)
      .sort((a, b) => a - b)
      .map((k) => value[String(k)] as FormValue)
  }
  return value
}
