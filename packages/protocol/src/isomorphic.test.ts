import { readdirSync, readFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { join } from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

/**
 * The protocol package must run in browsers and edge runtimes: its shipped source may not
 * touch Node-only globals or modules. Scanned with the TypeScript parser, so comments and
 * strings that merely mention `Buffer` do not count and real uses cannot hide.
 */
const SRC = import.meta.dirname
const sources = readdirSync(SRC).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))

const NODE_GLOBALS = new Set([
  'Buffer',
  'process',
  'require',
  'module',
  'exports',
  '__dirname',
  '__filename',
  'global',
  'setImmediate',
])
const NODE_MODULES = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]))
/** Bare imports allowed at runtime, and those allowed only as `import type`. */
const RUNTIME_DEPS = new Set(['zod'])
const TYPE_ONLY_DEPS = new Set(['openapi3-ts/oas31'])

interface Finding {
  file: string
  line: number
  what: string
}

function scan(file: string): Finding[] {
  const text = readFileSync(join(SRC, file), 'utf8')
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true)
  const findings: Finding[] = []
  const at = (node: ts.Node, what: string) =>
    findings.push({
      file,
      line: source.getLineAndCharacterOfPosition(node.getStart()).line + 1,
      what,
    })

  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && NODE_GLOBALS.has(node.text)) {
      const parent = node.parent
      // `x.Buffer` or `{ process: 1 }` are property names, not the global.
      const isPropertyName =
        (ts.isPropertyAccessExpression(parent) && parent.name === node) ||
        (ts.isPropertyAssignment(parent) && parent.name === node) ||
        (ts.isPropertySignature(parent) && parent.name === node)
      if (!isPropertyName) at(node, `uses the Node global ${node.text}`)
    }
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      const spec = node.moduleSpecifier.text
      const typeOnly = ts.isImportDeclaration(node)
        ? Boolean(node.importClause?.isTypeOnly)
        : node.isTypeOnly
      if (NODE_MODULES.has(spec) || spec.startsWith('node:'))
        at(node, `imports the Node module ${spec}`)
      else if (
        !spec.startsWith('.') &&
        !RUNTIME_DEPS.has(spec) &&
        !(typeOnly && TYPE_ONLY_DEPS.has(spec))
      ) {
        at(
          node,
          `imports ${spec}${typeOnly ? ' (type only)' : ''}, which is not an allowed dependency`,
        )
      }
    }
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword)
      at(node, 'uses a dynamic import')
    ts.forEachChild(node, visit)
  }
  visit(source)
  return findings
}

describe('isomorphic source', () => {
  it('scans every source file', () => {
    expect(sources).toEqual(
      expect.arrayContaining([
        'index.ts',
        'codec.ts',
        'base64.ts',
        'json.ts',
        'units.ts',
        'schemas.ts',
      ]),
    )
  })

  it.each(sources)(
    '%s uses no Node-only API and imports only zod (and openapi3-ts types)',
    (file) => {
      expect(scan(file)).toEqual([])
    },
  )

  it('the scanner does catch what it looks for', () => {
    const probe = (code: string) => {
      const source = ts.createSourceFile('probe.ts', code, ts.ScriptTarget.ES2022, true)
      const names: string[] = []
      const visit = (n: ts.Node): void => {
        if (ts.isIdentifier(n) && NODE_GLOBALS.has(n.text)) names.push(n.text)
        ts.forEachChild(n, visit)
      }
      visit(source)
      return names
    }
    expect(probe("const b = Buffer.from('x'); if (process.env.X) {}")).toEqual([
      'Buffer',
      'process',
    ])
    expect(probe('// Buffer in a comment\nconst s = "process"')).toEqual([])
  })
})
