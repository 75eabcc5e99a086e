// The core runs in browsers and edge runtimes: nothing reachable from the browser-facing entries uses a Node-only API.
import { existsSync, readFileSync } from 'node:fs'
import { dirname, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const src = __dirname
const protocolSrc = resolve(src, '../../protocol/src')

const NODE_ONLY: [string, RegExp][] = [
  ['a node: import', /\bfrom\s+['"]node:|\bimport\(\s*['"]node:/],
  [
    'a Node built-in module',
    /\bfrom\s+['"](fs|path|os|crypto|http|https|net|tls|child_process|stream|util|url|buffer|process|worker_threads|zlib|events|readline)(\/[^'"]*)?['"]/,
  ],
  ['Buffer', /\bBuffer\b/],
  ['process', /\bprocess\s*\./],
  ['__dirname or __filename', /\b__(dirname|filename)\b/],
  ['require()', /\brequire\s*\(/],
  ['NodeJS types', /\bNodeJS\./],
  ['setImmediate', /\bsetImmediate\b/],
]

/** Every module reachable through relative imports from `entry`. */
function reachable(entry: string): string[] {
  const seen = new Set<string>()
  const queue = [entry]
  while (queue.length > 0) {
    const file = queue.pop() as string
    if (seen.has(file)) continue
    seen.add(file)
    for (const match of readFileSync(file, 'utf8').matchAll(
      /\bfrom\s+['"](\.{1,2}\/[^'"]+)['"]/g,
    )) {
      const base = resolve(dirname(file), match[1] as string)
      const next = [`${base}.ts`, resolve(base, 'index.ts')].find((candidate) =>
        existsSync(candidate),
      )
      if (!next)
        throw new Error(`${relative(src, file)} imports ${match[1]}, which does not resolve`)
      queue.push(next)
    }
  }
  return [...seen].sort()
}

function withoutComments(code: string): string {
  return code.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '')
}

function violations(files: string[]): string[] {
  const found: string[] = []
  for (const file of files) {
    const code = withoutComments(readFileSync(file, 'utf8'))
    for (const [what, pattern] of NODE_ONLY)
      if (pattern.test(code)) found.push(`${relative(resolve(src, '../..'), file)}: ${what}`)
  }
  return found
}

describe('the core has no Node-only APIs', () => {
  it.each(['index.ts', 'axios.ts'])('nothing reachable from src/%s', (entry) => {
    const files = reachable(resolve(src, entry))
    expect(files.length).toBeGreaterThan(20)
    const names = files.map((f) => relative(src, f))
    expect(
      names.filter(
        (n) =>
          n === 'file-store.ts' ||
          n === 'cli.ts' ||
          n.startsWith('cli/') ||
          n.startsWith('testing/'),
      ),
    ).toEqual([])
    expect(violations(files)).toEqual([])
  })

  it('nor in @stripe402/protocol, which the core depends on', () => {
    expect(violations(reachable(resolve(protocolSrc, 'index.ts')))).toEqual([])
  })

  it('the scan does catch Node-only code (the Node entry points are flagged)', () => {
    expect(violations([resolve(src, 'file-store.ts'), resolve(src, 'cli.ts')])).toEqual(
      expect.arrayContaining([
        expect.stringContaining('file-store.ts: a node: import'),
        expect.stringContaining('cli.ts: process'),
      ]),
    )
  })
})
