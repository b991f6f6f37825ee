import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'
import { encodeIdx } from '../../src/idx'

/** What a child process running `loadMnist` reports: the outcome, how long it took and its peak RSS. */
export interface ChildResult {
  ok: boolean
  code?: string
  name?: string
  message?: string
  source?: string
  ms: number
  maxRssMb: number
}

/** Bundles the package's own source for child processes (no dependence on a stale dist/); returns a cleanup. */
export async function bundleSource(): Promise<{ bundle: string; cleanup: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'mnist-fault-bundle-'))
  const bundle = join(dir, 'mnist-data.cjs')
  await build({
    entryPoints: [fileURLToPath(new URL('../../src/index.ts', import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: bundle,
    logLevel: 'silent',
  })
  return { bundle, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

const SCRIPT = `
const { loadMnist } = require(process.argv[1])
const started = Date.now()
const report = (r) => {
  r.ms = Date.now() - started
  r.maxRssMb = process.resourceUsage().maxRSS / 1024
  process.stdout.write(JSON.stringify(r) + '\\n')
}
loadMnist(JSON.parse(process.argv[2])).then(
  (d) => report({ ok: true, source: d.source }),
  (e) => report({ ok: false, code: e.code, name: e.name, message: e.message }),
)`

/** Starts `loadMnist(options)` in a fresh Node process with a clean MNIST_* environment. */
export function startChild(
  bundle: string,
  options: object,
  env: Record<string, string> = {},
): {
  child: ChildProcess
  result: Promise<ChildResult>
} {
  const child = spawn(process.execPath, ['-e', SCRIPT, bundle, JSON.stringify(options)], {
    env: { ...process.env, MNIST_DATA_DIR: '', MNIST_MIRROR: '', MNIST_CACHE_DIR: '', ...env },
  })
  let out = ''
  let err = ''
  child.stdout!.on('data', (d: Buffer) => (out += d))
  child.stderr!.on('data', (d: Buffer) => (err += d))
  const result = new Promise<ChildResult>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => {
      try {
        resolve(JSON.parse(out) as ChildResult)
      } catch {
        reject(new Error(`child exited ${code ?? signal} without a report: ${err || out}`))
      }
    })
  })
  return { child, result }
}

/**
 * A gzip decompression bomb: a valid IDX header for `shape` (uint8), then zeros until `totalBytes` inflated bytes, as
 * gzip members of 16 MiB each (concatenated members are one valid gzip file), so building 2 GiB takes milliseconds.
 */
export function gzipBomb(shape: number[], totalBytes: number): Buffer {
  const block = 16 * 2 ** 20
  const header = encodeIdx({ dtype: 'uint8', shape: [0], data: new Uint8Array(0) })
  const idxHeader = new Uint8Array(4 + 4 * shape.length)
  idxHeader.set(header.subarray(0, 3))
  idxHeader[3] = shape.length
  const view = new DataView(idxHeader.buffer)
  shape.forEach((d, i) => view.setUint32(4 + 4 * i, d, false))
  const first = Buffer.alloc(block)
  first.set(idxHeader)
  const zeros = gzipSync(Buffer.alloc(block), { level: 9 })
  const members = [gzipSync(first, { level: 9 })]
  for (let n = block; n < totalBytes; n += block) members.push(zeros)
  return Buffer.concat(members)
}
