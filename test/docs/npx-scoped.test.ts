/**
 * No doc or printed hint tells anyone to `npx` one of our CLIs by its bare bin name: npx would ask the
 * registry for an unscoped package nobody here owns, and run it with the agent's card in its environment.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { root } from './blocks'

/** READMEs and docs, and every file whose strings a CLI or app may print. */
const SCANNED = ['README.md', 'docs', 'spec', 'packages', 'apps', 'scripts', 'test']
const TEXT = /\.(md|ts|tsx|mts|cts|js|mjs|cjs|sh|json)$/
const SKIPPED = new Set(['node_modules', 'dist', '.turbo', 'data'])

function files(path: string): string[] {
  if (statSync(path).isFile()) return TEXT.test(path) ? [path] : []
  return readdirSync(path)
    .filter((name) => !SKIPPED.has(name))
    .flatMap((name) => files(join(path, name)))
}

/** The package a launcher fetches: the `-p`/`--package` value, or else its first word. */
const LAUNCHER =
  /\b(?:npx|npm exec|pnpm dlx|pnpx|bunx|yarn dlx)((?:\s+(?:(?:-p|--package)[= ]\S+|-{1,2}[\w-]+(?:=\S+)?))*)\s+([@\w][\w./@-]*)/g
const PACKAGE_FLAG = /\s(?:-p|--package)[= ](\S+)/

/** Launches of an unscoped `stripe402…` package in `text`, as `line: text`. */
function unscopedLaunches(text: string): string[] {
  return text
    .split('\n')
    .flatMap((line, i) =>
      [...line.matchAll(LAUNCHER)]
        .filter((m) => /^stripe402/.test(PACKAGE_FLAG.exec(m[1]!)?.[1] ?? m[2]!))
        .map((m) => `${i + 1}: ${m[0].trim()}`),
    )
}

describe('npx of our CLIs', () => {
  it('tells the launch of an unscoped package from a scoped one', () => {
    const bare = ['npx', 'stripe402'].join(' ')
    expect(unscopedLaunches(`${bare} fetch https://x`)).toEqual([`1: ${bare}`])
    expect(unscopedLaunches(`run \`${bare}-conformance http://x\``)).toHaveLength(1)
    expect(unscopedLaunches(`npx --yes ${'stripe402'}-emulator`)).toHaveLength(1)
    expect(unscopedLaunches(`npx --yes ${'stripe402'} fetch https://x`)).toHaveLength(1)
    expect(unscopedLaunches(`npx -p ${'stripe402'} stripe402 wallet`)).toHaveLength(1)
    expect(unscopedLaunches('npx -p @stripe402/client stripe402 fetch https://x')).toEqual([])
    expect(unscopedLaunches('npx --package=@stripe402/client stripe402 wallet')).toEqual([])
    expect(unscopedLaunches('npx @stripe402/conformance http://x --route "GET /"')).toEqual([])
    expect(unscopedLaunches('npx --no-install publint run pkg.tgz')).toEqual([])
  })

  it('is always of the scoped package, in every README, doc and source string', () => {
    const found = SCANNED.map((path) => join(root, path)).flatMap((path) =>
      files(path).flatMap((file) =>
        unscopedLaunches(readFileSync(file, 'utf8')).map((hit) => `${relative(root, file)}:${hit}`),
      ),
    )
    expect(found).toEqual([])
  })
})
