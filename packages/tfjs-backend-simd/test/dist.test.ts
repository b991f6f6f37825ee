// The built package (dist/ + wasm-out/, what gets published): ESM and CJS entry points load the wasm from the
// package folder, run a threaded kernel, and the process exits by itself (idle workers are unref'd).
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, test } from 'vitest'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const run = promisify(execFile)

const body = `
  await tf.setBackend('simd');
  simd.setThreadsCount(2);
  await new Promise((r) => setTimeout(r, 300));
  const y = tf.conv2d(tf.ones([8, 16, 16, 4]), tf.ones([3, 3, 4, 8]), 1, 'same');
  const v = await y.data();
  console.log(JSON.stringify({ backend: tf.getBackend(), center: v[(8 * 16 + 8) * 8], threads: simd.getSimdBackend().rt.threads,
    build: simd.getSimdBackend().rt.build }));
`

describe('built package', () => {
  test('dist and wasm-out exist (run `pnpm build` first)', () => {
    expect(existsSync(join(root, 'dist/index.js'))).toBe(true)
    expect(existsSync(join(root, 'dist/index.cjs'))).toBe(true)
    for (const b of ['relaxed-simd', 'simd', 'scalar']) {
      expect(existsSync(join(root, `wasm-out/${b}.wasm`))).toBe(true)
      expect(existsSync(join(root, `wasm-out/${b}-shared.wasm`))).toBe(true)
    }
  })

  test.each([
    ['esm', `import * as tf from '@tensorflow/tfjs-core'; import * as simd from './dist/index.js'; ${body}`, ['--input-type=module']],
    ['cjs', `const tf = require('@tensorflow/tfjs-core'); const simd = require('./dist/index.cjs'); (async () => { ${body} })()`, ['--input-type=commonjs']],
  ])('%s: trains-ready backend, then the process exits on its own', async (_kind, code, flags) => {
    const t0 = Date.now()
    // No --experimental-wasm-relaxed-simd here: on Node 20 the backend turns relaxed SIMD on by itself.
    const { stdout } = await run(process.execPath, [...flags, '-e', code], { cwd: root, timeout: 20_000 })
    const out = JSON.parse(stdout.trim().split('\n').pop()!) as { backend: string; center: number; threads: number; build: string }
    expect(out).toEqual({ backend: 'simd', center: 36, threads: 2, build: 'relaxed-simd' })
    expect(Date.now() - t0).toBeLessThan(20_000)
  })
})
