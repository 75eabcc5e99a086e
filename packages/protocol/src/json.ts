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
  if (value === null || typeof value !== 'object') return { ok: true, value }
  // Only objects and arrays go on the stacks (a header's fields are mostly strings and numbers),
  // and a flat object, as headers are, allocates no stack at all.
  const nodes: object[] = []
  const depths: number[] = []
  let node: object | undefined = value
  let depth = 0
  while (node !== undefined) {
    if (depth >= maxDepth) return { ok: false, reason: `nests deeper than ${maxDepth} levels` }
    for (const key of Object.keys(node)) {
      if (FORBIDDEN_KEYS.has(key))
        return { ok: false, reason: `contains the forbidden key "${key}"` }
      const child: unknown = (node as Record<string, unknown>)[key]
      if (child !== null && typeof child === 'object') {
        nodes.push(child)
        depths.push(depth + 1)
      }
    }
    node = nodes.pop()
    depth = depths.pop() ?? 0
  }
  return { ok: true, value }
}
