/** The fenced blocks of the READMEs, and the workspace facts (packages, scripts, bins) their commands name. */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

/** The root README and every package README. */
export const readmes: string[] = [
  join(root, 'README.md'),
  ...readdirSync(join(root, 'packages')).map((pkg) => join(root, 'packages', pkg, 'README.md')),
].filter((file) => existsSync(file))

export interface Block {
  /** README path relative to the repository root. */
  readme: string
  /** The fence's language tag, '' when it has none. */
  lang: string
  /** 1-based line of the opening fence. */
  line: number
  code: string
}

export function blocksOf(readme: string): Block[] {
  const text = readFileSync(readme, 'utf8')
  const fence = /^```([^\s`]*)[^\n]*\n([\s\S]*?)^```[ \t]*$/gm
  return [...text.matchAll(fence)].map((match) => ({
    readme: relative(root, readme),
    lang: match[1]!,
    line: text.slice(0, match.index).split('\n').length,
    code: match[2]!,
  }))
}

export const blocks: Block[] = readmes.flatMap(blocksOf)

export const where = (block: Block) => `${block.readme}:${block.line}`

export interface PackageJson {
  name: string
  private?: boolean
  scripts?: Record<string, string>
  bin?: Record<string, string>
  dependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
}

export interface WorkspacePackage {
  dir: string
  json: PackageJson
}

export const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T

/** Every workspace package, the root included under the name '' (what `npm run` at the root reaches). */
export const workspace: WorkspacePackage[] = [
  { dir: root, json: { ...readJson<PackageJson>(join(root, 'package.json')), name: '' } },
  ...['packages', 'apps'].flatMap((group) =>
    readdirSync(join(root, group))
      .map((name) => join(root, group, name))
      .filter((dir) => existsSync(join(dir, 'package.json')))
      .map((dir) => ({ dir, json: readJson<PackageJson>(join(dir, 'package.json')) })),
  ),
]

export const packageNamed = (name: string) => workspace.find((p) => p.json.name === name)

/** The workspace package whose README this is; the root for the root README. */
export const packageOf = (readme: string) =>
  workspace.find((p) => (relative(root, p.dir) || '.') === dirname(readme))!

/** The source of a line with its comment (an unquoted `#` that starts a word) cut off. */
export function withoutComment(line: string): string {
  let quote = ''
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!
    if (quote) {
      if (c === quote) quote = ''
    } else if (c === "'" || c === '"') quote = c
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i).trimEnd()
  }
  return line.trimEnd()
}

/** Splits a POSIX-ish command line: quotes may sit inside a word (VAR='a b'); no expansions. */
export function words(line: string): string[] {
  return [...line.matchAll(/(?:'[^']*'|"[^"]*"|[^\s'"]+)+/g)].map((m) =>
    m[0].replace(/'([^']*)'|"([^"]*)"/g, '$1$2'),
  )
}

/** README text with `…` standing for any run of characters on one line, as a pattern for real output. */
export function elided(text: string): RegExp {
  const source = text
    .split('…')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('[^\\n]*?')
  return new RegExp(source)
}
