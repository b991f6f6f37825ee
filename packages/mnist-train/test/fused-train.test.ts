import path from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import { getSimdBackend } from '@mnist/backend-simd'
import type { ModelConfig } from '@mnist/model'
import { describe, expect, it } from 'vitest'
import { readCheckpoint } from '../src/checkpoint'
import { NonFiniteLossError } from '../src/errors'
import type { TrainOptions } from '../src/options'
import { train } from '../src/node-train'
import { SMALL_FLAT_MODEL, subset, tempDir, TINY_MODEL, weightsOf } from './helpers'

// The simd backend's fused training step (one wasm pass per layer) inside the real training loop.

const FLAT_WITH_DROPOUT: Partial<ModelConfig> = {
  layers: [...SMALL_FLAT_MODEL.layers!, { type: 'dropout', rate: 0.2 }],
}

const base = async (over: Partial<TrainOptions> = {}): Promise<TrainOptions> => ({
  backend: 'simd',
  data: await subset(320, 64),
  save: false,
  ...over,
  config: { model: FLAT_WITH_DROPOUT, batchSize: 32, epochs: 1, seed: 11, ...over.config },
})

async function run(
  options: TrainOptions,
): Promise<{ weights: Float32Array[]; losses: number[]; engine: string; accuracy: number | undefined }> {
  const losses: number[] = []
  let engine = ''
  const result = await train({
    ...options,
    keepModel: true,
    onStart: (info) => (engine = info.stepEngine),
    onProgress: (p) => losses.push(p.loss),
  })
  const weights = weightsOf(result.model!)
  result.model!.dispose()
  return { weights, losses, engine, accuracy: result.testAccuracy }
}

const same = (a: Float32Array[], b: Float32Array[]): boolean =>
  a.length === b.length && a.every((w, i) => Buffer.from(w.buffer).equals(Buffer.from(b[i]!.buffer)))

describe('train on simd with the fused step', () => {
  it('follows the tfjs step on cpu: same losses and weights within float tolerance (no dropout)', async () => {
    const opts = { config: { model: SMALL_FLAT_MODEL, augment: true }, data: await subset(160, 64) }
    const fused = await run(await base(opts))
    const reference = await run(await base({ ...opts, backend: 'cpu' }))
    expect(fused.engine).toBe('fused')
    expect(reference.engine).toBe('tfjs')
    expect(fused.losses).toHaveLength(5)
    fused.losses.forEach((l, i) =>
      expect(Math.abs(l - reference.losses[i]!), `loss after step ${i + 1}`).toBeLessThan(2e-4),
    )
    // trainable weights and the BatchNorm moving statistics
    fused.weights.forEach((w, i) => {
      const ref = reference.weights[i]!
      const err = Math.max(...Array.from(w, (v, k) => Math.abs(v - ref[k]!)))
      expect(err, `weight ${i}`).toBeLessThan(2e-3)
    })
    expect(fused.accuracy).toBeDefined()
  })

  it('is deterministic: bit-identical weights for the same seed (dropout and augmentation included), on 1 or 2 threads', async () => {
    const opts = await base({ config: { augment: true } })
    const a = await run(opts)
    const b = await run(opts)
    expect(a.engine).toBe('fused')
    expect(same(a.weights, b.weights)).toBe(true)
    const c = await run(await base({ config: { augment: true, seed: 12 } }))
    expect(same(a.weights, c.weights)).toBe(false)
    // and whatever the number of threads
    const one = await run({ ...opts, threads: 1 })
    const two = await run({ ...opts, threads: 2 })
    expect(same(one.weights, a.weights)).toBe(true)
    expect(same(two.weights, a.weights)).toBe(true)
  })

  it('keeps tf.memory().numTensors and the wasm heap constant from step to step (after 2 warm-up steps)', async () => {
    const counts: number[] = []
    const heap: number[] = []
    const result = await train({
      ...(await base({ data: await subset(16, 20), config: { batchSize: 2 } })),
      onProgress: () => {
        counts.push(tf.memory().numTensors)
        heap.push(getSimdBackend()!.memory().wasmBytesInUse)
      },
    })
    expect(result.stepEngine).toBe('fused')
    // Anything allocated per step shows as growth between any two of the steps after the warm-up.
    expect(counts).toHaveLength(8)
    expect(new Set(counts.slice(2)).size).toBe(1)
    expect(new Set(heap.slice(2)).size).toBe(1)
  })

  it('resumes to the same final weights as an uninterrupted run', async () => {
    const out = await tempDir('fused-resume')
    const opts = await base({ save: true, outDir: out, config: { epochs: 2 } })
    const full = await run(opts)
    const controller = new AbortController()
    const stopped = await train({
      ...opts,
      signal: controller.signal,
      onProgress: (p) => p.step === 13 && controller.abort(),
    })
    expect(stopped.interrupted).toBe(true)
    const state = (await readCheckpoint(stopped.checkpointDir!)).state
    expect(state.position).toEqual({ epoch: 1, batch: 3, step: 13 })
    expect(state.optimizer.step).toBe(13)
    const resumed = await run({ ...opts, config: undefined, resume: stopped.checkpointDir })
    expect(same(resumed.weights, full.weights)).toBe(true)
    expect(path.dirname(stopped.checkpointDir!)).toBe(out)
  })

  it('falls back to the tfjs step for layers it does not fuse, or when asked, and says why', async () => {
    let reason: string | undefined
    const gap = await train({
      ...(await base({ config: { model: TINY_MODEL } })),
      onStart: (i) => (reason = i.stepEngineReason),
    })
    expect(gap.stepEngine).toBe('tfjs')
    expect(reason).toMatch(/layers\[4\]: layer type "globalAvgPool" is not supported by the fused step/)
    const off = await train({ ...(await base()), fusedStep: false, onStart: (i) => (reason = i.stepEngineReason) })
    expect(off.stepEngine).toBe('tfjs')
    expect(reason).toBe('fusedStep: false')
  })

  it('stops with NonFiniteLossError naming the step', async () => {
    const error = await train(await base({ config: { maxLr: 1e30, divFactor: 1 } })).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(NonFiniteLossError)
    expect((error as NonFiniteLossError).step).toBeGreaterThanOrEqual(2)
  })
})
