/** What the per-address limit counts as one caller: an IPv4 address, or a whole IPv6 /64. */

/**
 * An IPv6 customer is routed at least a /64 and may send from any of its 2^64 addresses, so a
 * limit per full address is never reached: the /64 is the caller. IPv4-mapped IPv6 counts as
 * its IPv4 address. Anything that is not an IP address is counted as written, lower-cased.
 */
export function addressKey(address: string): string {
  const text = address
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/%.*$/, '')
  const groups = ipv6Groups(text)
  if (!groups) return text.slice(0, 128)
  const [a, b, c, d, e, f, g = 0, h = 0] = groups
  if (a === 0 && b === 0 && c === 0 && d === 0 && e === 0 && f === 0xffff)
    return [g >> 8, g & 255, h >> 8, h & 255].join('.')
  return `${[a, b, c, d].map((x) => (x ?? 0).toString(16)).join(':')}::/64`
}

/** The eight 16-bit groups of an IPv6 address (`::` and a trailing dotted quad allowed), or null. */
function ipv6Groups(text: string): number[] | null {
  if (!text.includes(':')) return null
  let hex = text
  const quad = /^(.*:)(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text)
  if (quad) {
    const octets = quad.slice(2).map(Number)
    if (octets.some((o) => o > 255)) return null
    const [o1 = 0, o2 = 0, o3 = 0, o4 = 0] = octets
    hex = `${quad[1]}${((o1 << 8) | o2).toString(16)}:${((o3 << 8) | o4).toString(16)}`
  }
  const halves = hex.split('::')
  if (halves.length > 2) return null
  const parts = (s: string) => (s === '' ? [] : s.split(':'))
  const head = parts(halves[0] ?? '')
  const tail = halves.length === 2 ? parts(halves[1] ?? '') : []
  const missing = 8 - head.length - tail.length
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail]
  if (!groups.every((group) => /^[0-9a-f]{1,4}$/.test(group))) return null
  return groups.map((group) => Number.parseInt(group, 16))
}
