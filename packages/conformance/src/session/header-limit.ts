/** How large a stripe402 header the suite decodes: used to read answers and to show evidence. */
import type { DecodeOptions } from '@stripe402/protocol'

/** Past the protocol's 8 KiB default: a large header is judged by what it holds, not refused for its size. */
export const HEADER_LIMIT: DecodeOptions = { maxBytes: 64 * 1024 }
