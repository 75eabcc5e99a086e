/** `allowOrigins` matching: exact origins, or `*` standing for one or more host labels. */

/** Compiles the allow list once; `undefined` allows every origin. */
export function originMatcher(allow: readonly string[] | undefined): (origin: string) => boolean {
  if (allow === undefined) return () => true
  const patterns = allow.map(compile)
  return (origin) => patterns.some((p) => p.test(origin.toLowerCase()))
}

function compile(pattern: string): RegExp {
  const trimmed = pattern.trim().toLowerCase().replace(/\/+$/, '')
  if (!trimmed.includes('*')) {
    // Through URL so `https://API.example.com:443/` and `https://api.example.com` are the same origin.
    const origin = new URL(trimmed).origin
    return new RegExp(`^${escapeRegExp(origin)}$`)
  }
  return new RegExp(
    `^${trimmed.split('*').map(escapeRegExp).join('[a-z0-9-]+(?:\\.[a-z0-9-]+)*')}$`,
  )
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
