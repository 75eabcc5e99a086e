/** Reads a JSON request body within a size limit and parses it safely (no prototype pollution, bounded depth). */
import { parseJsonSafely } from '@stripe402/protocol'
import type { z } from 'zod'
import { describeIssues } from '../agents/schema'
import { TreasuryError } from '../errors'

export async function readJson<T extends z.ZodType>(
  request: Request,
  schema: T,
  maxBytes: number,
): Promise<z.output<T>> {
  const type = request.headers.get('content-type') ?? ''
  if (!/^application\/json\s*(;|$)/i.test(type))
    throw new TreasuryError('unsupported_media_type', 'Send the body as application/json.')
  const declared = Number(request.headers.get('content-length') ?? Number.NaN)
  if (declared > maxBytes)
    throw new TreasuryError('body_too_large', `The body is larger than ${maxBytes} bytes.`)
  const bytes = await readLimited(request, maxBytes)
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw new TreasuryError('invalid_request', 'The body is not UTF-8.')
  }
  const parsed = parseJsonSafely(text)
  if (!parsed.ok) throw new TreasuryError('invalid_request', `The body ${parsed.reason}.`)
  const result = schema.safeParse(parsed.value)
  if (!result.success) throw new TreasuryError('invalid_request', describeIssues(result.error))
  return result.data
}

/** An `application/x-www-form-urlencoded` body within a size limit. */
export async function readForm(request: Request, maxBytes: number): Promise<URLSearchParams> {
  const type = request.headers.get('content-type') ?? ''
  if (!/^application\/x-www-form-urlencoded\s*(;|$)/i.test(type))
    throw new TreasuryError(
      'unsupported_media_type',
      'Send the form as application/x-www-form-urlencoded.',
    )
  const bytes = await readLimited(request, maxBytes)
  return new URLSearchParams(new TextDecoder().decode(bytes))
}

async function readLimited(request: Request, maxBytes: number): Promise<Uint8Array> {
  if (!request.body) return new Uint8Array()
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > maxBytes) {
      await drain(reader)
      throw new TreasuryError('body_too_large', `The body is larger than ${maxBytes} bytes.`)
    }
    chunks.push(value)
  }
  const out = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.byteLength
  }
  return out
}

/** Most bytes read and dropped after a body proved too large, so the client reads the 413 instead of a reset. */
const DRAIN_LIMIT = 16 * 1_048_576

async function drain(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  let drained = 0
  while (drained < DRAIN_LIMIT) {
    const { done, value } = await reader.read()
    if (done) return
    drained += value.byteLength
  }
  await reader.cancel().catch(() => {})
}
