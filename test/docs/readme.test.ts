/** Every TypeScript snippet in the READMEs is compiled, so the docs cannot rot. */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { afterAll, describe, expect, it } from 'vitest'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const readmes = [
  join(root, 'README.md'),
  ...readdirSync(join(root, 'packages')).map((pkg) => join(root, 'packages', pkg, 'README.md')),
].filter((file) => {
  try {
    readFileSync(file)
    return true
  } catch {
    return false
  }
})

interface Snippet {
  readme: string
  index: number
  line: number
  code: string
}

function snippetsOf(readme: string): Snippet[] {
  const text = readFileSync(readme, 'utf8')
  const found: Snippet[] = []
  const fence = /^```(ts|typescript)\s*\n([\s\S]*?)^```/gm
  for (let match = fence.exec(text), index = 0; match; match = fence.exec(text), index++) {
    const line = text.slice(0, match.index).split('\n').length
    found.push({ readme: relative(root, readme), index, line, code: match[2]! })
  }
  return found
}

const snippets = readmes.flatMap(snippetsOf)
// Snippets live beside this test so they resolve packages exactly as the workspace does.
const dir = join(dirname(fileURLToPath(import.meta.url)), '.snippets')
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('README snippets', () => {
  it('finds snippets in the root README and the package READMEs', () => {
    expect(snippets.filter((s) => s.readme === 'README.md').length).toBeGreaterThanOrEqual(5)
    expect(new Set(snippets.map((s) => s.readme)).size).toBeGreaterThanOrEqual(5)
  })

  it('compiles every snippet under the strict workspace settings', () => {
    rmSync(dir, { recursive: true, force: true })
    mkdirSync(dir, { recursive: true })
    const files = snippets.map((snippet) => {
      const name = `${snippet.readme.replace(/[^a-z0-9]+/gi, '_')}_${snippet.index}.ts`
      const file = join(dir, name)
      // `export {}` makes each snippet its own module (top-level await, no shared globals).
      writeFileSync(file, `${snippet.code}\nexport {}\n`)
      return { file, snippet }
    })
    const program = ts.createProgram(
      files.map((f) => f.file),
      {
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.ESNext,
        moduleResolution: ts.ModuleResolutionKind.Bundler,
        lib: ['lib.es2022.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
        types: ['node'],
        typeRoots: [join(root, 'node_modules', '@types')],
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        esModuleInterop: true,
        resolveJsonModule: true,
      },
    )
    const problems = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file && d.file.fileName.startsWith(dir))
      .map((d) => {
        const owner = files.find((f) => f.file === d.file!.fileName)!.snippet
        const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0)
        return `${owner.readme}:${owner.line + 1 + line}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`
      })
    expect(problems).toEqual([])
  })
})
