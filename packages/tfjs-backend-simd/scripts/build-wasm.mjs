// Builds wasm-out/<build>[-shared].wasm from assembly/ with the AssemblyScript compiler, and src/_wasm-exports.ts (the
// exports' signatures, from asc's --bindings typings) for the host's typed Runtime.run.
// Deterministic: same sources + same asc version give byte-identical files. `--check` fails when a rebuild changes a
// .wasm file already in wasm-out/ or the committed src/_wasm-exports.ts (run it after a build, as CI does).
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { mkdirSync, mkdtempSync, readFileSync, renameSync, existsSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(import.meta.url)
const asc = join(dirname(require.resolve('assemblyscript/package.json')), 'bin', 'asc.js')
const out = join(root, 'wasm-out')
mkdirSync(out, { recursive: true })

const builds = {
  'relaxed-simd': ['--enable', 'simd', '--enable', 'relaxed-simd'],
  simd: ['--enable', 'simd'],
  scalar: [],
}
const common = [
  'assembly/index.ts',
  '-O3',
  '--noAssert',
  '--runtime',
  'stub',
  '--importMemory',
  '--initialMemory',
  '1',
  '--maximumMemory',
  '65536',
]

const run = promisify(execFile)
// assembly/_direct3x3_tiles.ts is generated (its tiles unrolled with fixed load offsets): regenerate it first, so the
// .wasm always matches the generator.
const tilesFile = join(root, 'assembly', '_direct3x3_tiles.ts')
const tilesBefore = existsSync(tilesFile) ? readFileSync(tilesFile, 'utf8') : ''
await run(process.execPath, [join(root, 'scripts', 'gen-direct3x3-tiles.mjs')])
const jobs = []
for (const [name, flags] of Object.entries(builds)) {
  for (const shared of [false, true]) {
    const file = `${name}${shared ? '-shared' : ''}.wasm`
    const tmp = join(out, `.${file}.tmp`)
    const extra = shared ? ['--sharedMemory', '--enable', 'threads'] : []
    jobs.push({ file, tmp, args: [asc, ...common, ...flags, ...extra, '-o', tmp] })
  }
}
// The typings: one more compile of the same sources (its .wasm, identical to simd.wasm, is dropped).
const bindingsDir = mkdtempSync(join(tmpdir(), 'simd-bindings-'))
jobs.push({ args: [asc, ...common, ...builds.simd, '--bindings', 'raw', '-o', join(bindingsDir, 'exports.wasm')] })
// Two compilers at a time: each is single-threaded.
for (let i = 0; i < jobs.length; i += 2) {
  await Promise.all(jobs.slice(i, i + 2).map(({ args }) => run(process.execPath, args, { cwd: root })))
}
const check = process.argv.includes('--check')
const changed = []
if (check && readFileSync(tilesFile, 'utf8') !== tilesBefore) changed.push('assembly/_direct3x3_tiles.ts')
for (const { file, tmp } of jobs) {
  if (!file) continue
  const target = join(out, file)
  if (check && existsSync(target) && !readFileSync(target).equals(readFileSync(tmp))) changed.push(`wasm-out/${file}`)
  renameSync(tmp, target)
  process.stdout.write(`wasm-out/${file} ${readFileSync(target).length} bytes\n`)
}
const exportsFile = join(root, 'src', '_wasm-exports.ts')
const exportsTs = exportsModule(readFileSync(join(bindingsDir, 'exports.d.ts'), 'utf8'))
rmSync(bindingsDir, { recursive: true, force: true })
if (check && (!existsSync(exportsFile) || readFileSync(exportsFile, 'utf8') !== exportsTs))
  changed.push('src/_wasm-exports.ts')
writeFileSync(exportsFile, exportsTs)
if (changed.length > 0) {
  process.stderr.write(
    `build-wasm --check: a rebuild changed ${changed.join(', ')} (not reproducible or not committed)\n`,
  )
  process.exit(1)
}

/** `items` joined by ', ' into lines of at most 120 characters, each starting with `indent`. */
function wrap(items, indent) {
  const lines = []
  let line = ''
  for (const item of items) {
    if (line && indent.length + line.length + 2 + item.length + 1 > 120) {
      lines.push(`${indent}${line},`)
      line = ''
    }
    line = line ? `${line}, ${item}` : item
  }
  lines.push(`${indent}${line}`)
  return lines.join('\n')
}

/** The typings asc writes for --bindings raw, as one interface in the project's style. */
function exportsModule(dts) {
  const fns = []
  for (const m of dts.matchAll(/\/\*\*([\s\S]*?)\*\/\s*export function (\w+)\(([^)]*)\): ([^;]+);/g)) {
    const [, doc, name, params, ret] = m
    const path = doc
      .split('\n')
      .map((l) => l.replace(/^\s*\*\s?/, '').trim())
      .find((l) => l.startsWith('assembly/'))
    const types = [...doc.matchAll(/@param (\w+) `(\w+)`/g)].map(([, p, t]) => `${p}: ${t}`)
    const sig = `  ${name}(${params}): ${ret}`
    const wrappedSig = sig.length <= 120 ? sig : `  ${name}(\n${wrap(params.split(', '), '    ')}\n  ): ${ret}`
    const docLine = `  /** ${path}(${types.join(', ')}) */`
    const wrappedDoc = docLine.length <= 120 ? docLine : `  /**\n   * ${path}:\n${wrap(types, '   * ')}\n   */`
    fns.push(`${wrappedDoc}\n${wrappedSig}`)
  }
  if (fns.length === 0) throw new Error('build-wasm: no exported functions in the --bindings typings')
  return `// Generated by scripts/build-wasm.mjs from \`asc --bindings raw\`: the signatures of the exports of assembly/index.ts
// (wasm types in the comments). Do not edit; \`node scripts/build-wasm.mjs --check\` fails when it is out of date.
export interface WasmExports {
${fns.join('\n')}
}
`
}
