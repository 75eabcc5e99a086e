/** The one build every public package shares: ESM + CJS + .d.ts from its entry points. */
import { defineConfig } from 'tsup'

export function packageBuild(...entries: string[]) {
  return defineConfig({
    entry: Object.fromEntries(entries.map((name) => [name, `src/${name}.ts`])),
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'es2022',
    // Keep `node:sqlite` as written: stripped, it becomes `sqlite`, a package on npm that is not Node's.
    removeNodeProtocol: false,
  })
}
