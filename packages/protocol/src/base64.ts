/** UTF-8 base64 without Buffer, so the codec runs in browsers and edge runtimes too. */

/** One alphabet, then at most two `=`: a header mixing both alphabets matches neither. Whether the padding is right is checked below. */
const STANDARD = /^[A-Za-z0-9+/]*={0,2}$/
const URL_SAFE = /^[A-Za-z0-9_-]*={0,2}$/

// biome-ignore lint/suspicious/noControlCharactersInRegex: ASCII is 0x00-0x7F, control characters included.
const ASCII = /^[\x00-\x7f]*$/

/** Never streaming, so each `decode` starts afresh (and a refused one leaves nothing behind): one decoder serves every call. */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** Encodes a string's UTF-8 bytes as padded standard base64 (what v1's Buffer code writes). */
export function base64EncodeUtf8(text: string): string {
  // Headers are almost always ASCII JSON, whose UTF-8 bytes are its characters: btoa takes it as is.
  if (ASCII.test(text)) return btoa(text)
  const bytes = new TextEncoder().encode(text)
  let binary = ''
  // Chunked so a long string never exceeds the engine's argument limit.
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  }
  return btoa(binary)
}

/**
 * Decodes base64 or base64url, padded or not, into UTF-8 text.
 * Refuses a mix of both alphabets, padding that does not complete a 4-character group,
 * and bytes that are not UTF-8. Returns `undefined` for anything refused, so callers
 * choose the error.
 */
export function base64DecodeUtf8(input: string): string | undefined {
  const url = !STANDARD.test(input)
  if (url && !URL_SAFE.test(input)) return undefined
  // Padding must complete the last group of four; unpadded, a last group of one character holds no whole byte.
  // atob (forgiving-base64) takes the rest as is, padded or not.
  if (input.endsWith('=') ? input.length % 4 !== 0 : input.length % 4 === 1) return undefined
  let binary: string
  try {
    binary = atob(url ? input.replace(/-/g, '+').replace(/_/g, '/') : input)
  } catch {
    return undefined
  }
  // Bytes below 0x80 are ASCII, which is valid UTF-8 and decodes to the same characters:
  // the usual JSON header needs no TextDecoder (and no byte copy) at all.
  if (ASCII.test(binary)) return binary
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  try {
    return utf8.decode(bytes)
  } catch {
    return undefined
  }
}
