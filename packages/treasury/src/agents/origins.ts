/** An agent's allow-list: exact origins, or `*` standing for one or more host labels; never everything. */

/** The pattern in canonical form (`https://api.example.com`, `https://*.example.com:8443`), or why it is not one. */
export function normalizeOriginPattern(
  pattern: string,
): { ok: true; value: string } | { ok: false; reason: string } {
  const text = pattern.trim().toLowerCase().replace(/\/+$/, '')
  const match = /^(https?):\/\/([^/?#@]+)$/.exec(text)
  if (!match?.[1] || !match[2])
    return { ok: false, reason: 'must be an origin such as https://api.example.com (no path)' }
  const [, scheme, authority] = match
  if (authority.includes('*')) {
    // Only whole leading labels: `*.example.com`, never `*`, `*.com` or `api*.example.com`.
    if (!/^\*\.[a-z0-9-]+(\.[a-z0-9-]+)+(:\d{1,5})?$/.test(authority))
      return {
        ok: false,
        reason: 'a wildcard stands for leading labels under a domain: https://*.example.com',
      }
    return { ok: true, value: `${scheme}://${authority}` }
  }
  try {
    const origin = new URL(`${scheme}://${authority}`).origin
    if (origin === 'null') return { ok: false, reason: 'is not a valid origin' }
    return { ok: true, value: origin }
  } catch {
    return { ok: false, reason: 'is not a valid origin' }
  }
}

/** Compiles canonical patterns into one test of an origin (as `URL.origin` spells it). */
export function originMatcher(patterns: readonly string[]): (origin: string) => boolean {
  const compiled = patterns.map((pattern) =>
    pattern.includes('*')
      ? new RegExp(`^${pattern.split('*').map(escapeRegExp).join('[a-z0-9-]+(?:\\.[a-z0-9-]+)*')}$`)
      : new RegExp(`^${escapeRegExp(pattern)}$`),
  )
  return (origin) => compiled.some((re) => re.test(origin.toLowerCase()))
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
