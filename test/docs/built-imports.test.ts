/**
 * What the published packages import, read from their build (`dist/`, made by `pnpm build`, which
 * CI runs before the tests): a built-in that exists only with its `node:` prefix keeps it. A build
 * that strips it turns `node:sqlite` into `sqlite`, a package on npm that is not Node's, which an
 * app would then load (or fail to find) in place of the built-in.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { workspace } from './blocks'

/** Built-ins that exist only as `node:x` (`node:sqlite`, `node:test`, `node:sea`): a bare `x` is a package from npm. */
const PREFIX_ONLY = new Set(
  builtinModules.filter((name) => name.startsWith('node:')).map((name) => name.slice(5)),
)
/** `import("x")`, `from "x"`, `require("x")` of a bare specifier. */
const SPECIFIER = /(?:\bimport\s*\(\s*|\bfrom\s*|\brequire\s*\(\s*)["']([^"'./][^"']*)["']/g

const built = workspace
  .filter((pkg) => pkg.json.name?.startsWith('@stripe402/') && !pkg.json.private)
  .map((pkg) => ({ name: pkg.json.name as string, dist: join(pkg.dir, 'dist') }))
  .filter((pkg) => existsSync(pkg.dist))

describe('built packages', () => {
  it.skipIf(built.length === 0)(
    'keep the node: prefix on the built-ins that exist only with it',
    () => {
      const stripped: string[] = []
      for (const { name, dist } of built) {
        for (const file of readdirSync(dist).filter((f) => /\.(c|m)?js$/.test(f))) {
          const code = readFileSync(join(dist, file), 'utf8')
          for (const [, specifier] of code.matchAll(SPECIFIER)) {
            if (PREFIX_ONLY.has(specifier!)) stripped.push(`${name} dist/${file}: "${specifier}"`)
          }
        }
      }
      expect(stripped).toEqual([])
    },
  )
})
