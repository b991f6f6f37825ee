// The built package (dist/ + wasm-out/, what gets published): ESM and CJS entry points load the wasm from the
// package folder, run a threaded kernel, and the process exits by itself (idle workers are unref'd).
import { execFile } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
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
  console.log(JSON.stringify({ backend: tf.getBackend(), center: v[(8 * 16 + 8) * 8], threads: simd.getSimdBackend().threads,
    build: simd.getSimdBackend().build }));
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
    [
      'esm',
      `import * as tf from '@tensorflow/tfjs-core'; import * as simd from './dist/index.js'; ${body}`,
      ['--input-type=module'],
    ],
    [
      'cjs',
      `const tf = require('@tensorflow/tfjs-core'); const simd = require('./dist/index.cjs'); (async () => { ${body} })()`,
      ['--input-type=commonjs'],
    ],
  ])('%s: trains-ready backend, then the process exits on its own', async (_kind, code, flags) => {
    const t0 = Date.now()
    // No --experimental-wasm-relaxed-simd here: on Node 20 the backend turns relaxed SIMD on by itself.
    const { stdout } = await run(process.execPath, [...flags, '-e', code], { cwd: root, timeout: 20_000 })
    const out = JSON.parse(stdout.trim().split('\n').pop()!) as {
      backend: string
      center: number
      threads: number
      build: string
    }
    expect(out).toEqual({ backend: 'simd', center: 36, threads: 2, build: 'relaxed-simd' })
    expect(Date.now() - t0).toBeLessThan(20_000)
  })
})

// Both builds in one process (an ESM app with a CJS dependency, or the reverse): one backend, one registry.
test('esm + cjs in one process: one simd backend, FusedTrainer from one build after setBackend through the other', async () => {
  const code = `
    import * as tf from '@tensorflow/tfjs-core';
    import { createRequire } from 'node:module';
    import * as esm from './dist/index.js';
    const cjs = createRequire(import.meta.url)('./dist/index.cjs');
    const sameModule = esm.FusedTrainer === cjs.FusedTrainer;
    cjs.setThreadsCount(1);
    const threadsAgree = esm.getThreadsCount() === 1;
    const ok = await tf.setBackend('simd');
    const esmBackend = esm.getSimdBackend();
    const cjsBackend = cjs.getSimdBackend();
    const net = { inputShape: [4, 4, 1], layers: [{ type: 'flatten' }, { type: 'dense', units: 3, useBias: true }] };
    const trainer = new cjs.FusedTrainer(net, { batchSize: 2 });
    const logits = trainer.predictLogits(new Float32Array(32), 2);
    trainer.dispose();
    let notActive = '';
    await tf.setBackend('cpu');
    tf.removeBackend('simd');
    try { new esm.FusedTrainer(net, { batchSize: 2 }) } catch (e) { notActive = e.code; }
    console.log(JSON.stringify({ sameModule, ok, threadsAgree, same: esmBackend !== undefined && esmBackend === cjsBackend,
      instance: cjsBackend instanceof esm.SimdBackend && esmBackend instanceof cjs.SimdBackend, logits: logits.length, notActive }));
  `
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', code], { cwd: root, timeout: 20_000 })
  const out = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>
  expect(out).toEqual({
    sameModule: false,
    ok: true,
    threadsAgree: true,
    same: true,
    instance: true,
    logits: 6,
    notActive: 'SIMD_BACKEND_NOT_ACTIVE',
  })
})

test('the published types keep the wasm runtime out (no Runtime, Heap or rt)', () => {
  for (const file of ['dist/index.d.ts', 'dist/index.d.cts']) {
    const dts = readFileSync(join(root, file), 'utf8')
    expect(dts).not.toMatch(/\bRuntime\b|\bHeap\b|\brt:|ptrOf|adoptHeapTensor/)
  }
})
