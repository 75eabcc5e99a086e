/** The admin commands' way to the treasury: its Admin API, at --url or STRIPE402_TREASURY_URL, with STRIPE402_TREASURY_ADMIN_TOKEN. */
import { type Io, UsageError } from './io'

export const DEFAULT_TREASURY_URL = 'http://127.0.0.1:8402'

/** The treasury's own refusal, with its code. */
export class AdminApiError extends Error {
  override readonly name = 'AdminApiError'
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

export interface AdminClient {
  request<T>(method: string, path: string, body?: unknown): Promise<T>
  text(path: string): Promise<string>
}

export function adminClient(url: string | undefined, io: Io): AdminClient {
  const base = (url ?? io.env.STRIPE402_TREASURY_URL ?? DEFAULT_TREASURY_URL).replace(/\/+$/, '')
  try {
    new URL(base)
  } catch {
    throw new UsageError(`"${base}" is not a URL.`)
  }
  const token = io.env.STRIPE402_TREASURY_ADMIN_TOKEN
  if (!token)
    throw new UsageError("Set STRIPE402_TREASURY_ADMIN_TOKEN to the treasury's admin token.")
  const send = async (method: string, path: string, body?: unknown) => {
    let res: Response
    try {
      res = await fetch(`${base}/v1/admin/${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      })
    } catch (error) {
      throw new AdminApiError(
        'unreachable',
        `Cannot reach the treasury at ${base}: ${(error as Error).message}`,
      )
    }
    if (!res.ok) {
      const failure = (await res.json().catch(() => ({}))) as {
        error?: { code?: string; message?: string }
      }
      throw new AdminApiError(
        failure.error?.code ?? `http_${res.status}`,
        failure.error?.message ?? `The treasury answered HTTP ${res.status}.`,
      )
    }
    return res
  }
  return {
    request: async <T>(method: string, path: string, body?: unknown) =>
      (await (await send(method, path, body)).json()) as T,
    text: async (path) => (await send('GET', path)).text(),
  }
}
