/**
 * Finds a Chromium for the browser tests. CHROMIUM_PATH overrides the default (Debian's
 * /usr/bin/chromium). Without one the tests skip with a printed reason, unless
 * STRIPE402_REQUIRE_SERVICES=1 (CI), where a missing browser fails the run instead of hiding it.
 */
import { accessSync, constants } from 'node:fs'

/** Flags for a headless Chromium in a container: no sandbox, no GPU, nothing phoning home. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

export interface Chromium {
  path: string
  available: boolean
  /** Why it is unavailable (printed when tests skip). */
  reason?: string
}

/** For `describe.skipIf(!requireChromium().available)`: prints why it skips, or throws in CI. */
export function requireChromium(): Chromium {
  const path = process.env.CHROMIUM_PATH || '/usr/bin/chromium'
  let reason: string | undefined
  try {
    accessSync(path, constants.X_OK)
  } catch (error) {
    reason = `${path} is not an executable (${(error as NodeJS.ErrnoException).code})`
  }
  if (!reason) return { path, available: true }
  const message = `browser tests skipped: ${reason} (apt-get install chromium, or set CHROMIUM_PATH)`
  if (process.env.STRIPE402_REQUIRE_SERVICES === '1')
    throw new Error(`STRIPE402_REQUIRE_SERVICES=1 but Chromium is unavailable: ${reason}`)
  console.warn(`[stripe402] ${message}`)
  return { path, available: false, reason }
}
