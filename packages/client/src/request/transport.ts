/** Where a `payment` header may go: HTTPS, or plain HTTP to this machine (spec 14.1). */

/**
 * True when `origin` (`https://api.example.com`) may receive credentials and PaymentMethod ids:
 * `https:`, or `http:` to a loopback host (`localhost`, 127.0.0.0/8, `[::1]`). `URL` has already
 * normalised the host, so `127.1` arrives as `127.0.0.1` and `[0:0::1]` as `[::1]`.
 */
export function mayCarryPayment(origin: string): boolean {
  let url: URL
  try {
    url = new URL(origin)
  } catch {
    return false
  }
  if (url.protocol === 'https:') return true
  if (url.protocol !== 'http:') return false
  const host = url.hostname.toLowerCase()
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
}
