/**
 * Preloaded into the server under test by `profile.ts` (`--import`): samples every allocation,
 * collected or not, from start to the bench's `stop`, and writes the profile to STRIPE402_HEAP_PROFILE.
 */
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector'

const out = process.env.STRIPE402_HEAP_PROFILE
if (out) {
  const session = new Session()
  session.connect()
  session.post('HeapProfiler.enable')
  session.post('HeapProfiler.startSampling', {
    samplingInterval: 4096,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  })
  process.on('message', (message: { type?: string }) => {
    if (message?.type !== 'stop') return
    session.post('HeapProfiler.stopSampling', (error, result) => {
      if (!error) writeFileSync(out, JSON.stringify(result.profile))
    })
  })
}
