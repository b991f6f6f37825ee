// Builds wasm-out/<build>[-shared].wasm from assembly/ with the AssemblyScript compiler.
// Deterministic: same sources + same asc version give byte-identical files (checked by `build:wasm --check`).
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { mkdirSync, readFileSync, renameSync, existsSync } from 'node:fs'
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
const common = ['assembly/index.ts', '-O3', '--noAssert', '--runtime', 'stub', '--importMemory',
  '--initialMemory', '1', '--maximumMemory', '65536']

const run = promisify(execFile)
// assembly/_direct3x3_tiles.ts is generated (its tiles unrolled with fixed load offsets): regenerate it first, so the
// .wasm always matches the generator.
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
// Two compilers at a time: each is single-threaded.
for (let i = 0; i < jobs.length; i += 2) {
  await Promise.all(jobs.slice(i, i + 2).map(({ args }) => run(process.execPath, args, { cwd: root })))
}
for (const { file, tmp } of jobs) {
  const target = join(out, file)
  if (process.argv.includes('--check') && existsSync(target) && !readFileSync(target).equals(readFileSync(tmp))) {
    throw new Error(`[@mnist/backend-simd] build:wasm is not reproducible: ${file} changed`)
  }
  renameSync(tmp, target)
  process.stdout.write(`wasm-out/${file} ${readFileSync(target).length} bytes\n`)
}
