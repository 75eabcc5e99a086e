/** JSON parsing that refuses prototype-polluting keys and deep nesting. */
import { MAX_JSON_DEPTH } from './constants'

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

export type SafeJsonResult = { ok: true; value: unknown } | { ok: false; reason: string }

/**
 * Parses JSON and walks the result iteratively (no recursion to exhaust), refusing
 * `__proto__`/`constructor`/`prototype` keys and nesting deeper than `maxDepth`.
 */
export function parseJsonSafely(text: string, maxDepth = MAX_JSON_DEPTH): SafeJsonResult {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return { ok: false, reason: 'is not valid JSON' }
  }
  const stack: Array<{ node: unknown; depth: number }> = [{ node: value, depth: 0 }]
  for (let top = stack.pop(); top; top = stack.pop()) {
    const { node, depth } = top
    if (node === null || typeof node !== 'object') continue
    if (depth >= maxDepth) return { ok: false, reason: `nests deeper than ${maxDepth} levels` }
    for (const key of Object.keys(node)) {
      if (FORBIDDEN_KEYS.has(key))
        return { ok: false, reason: `contains the forbidden key "${key}"` }
      stack.push({ node: (node as Record<string, unknown>)[key], depth: depth + 1 })
    }
  }
  return { ok: true, value }
}
