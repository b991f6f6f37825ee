import fs from 'node:fs/promises'
import path from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import { loadModel } from '@mnist/model'
import { beforeAll, describe, expect, it } from 'vitest'
import { selectBackend } from '@mnist/backends'
import { readCheckpoint } from '../src/checkpoint'
import { CHECKPOINT_FORMAT, type CheckpointState } from '../src/checkpoint-format'
import { CheckpointError, InvalidTrainConfigError, NonFiniteLossError } from '../src/errors'
import type { TrainOptions } from '../src/options'
import { train } from '../src/node-train'
import { SMALL_FLAT_MODEL, snapshot, subset, tempDir, TINY_MODEL, weightsOf } from './helpers'

const base = async (over: Partial<TrainOptions> = {}): Promise<TrainOptions> => ({
  backend: 'cpu',
  data: await subset(192, 64),
  save: false,
  ...over,
  config: { model: TINY_MODEL, batchSize: 32, epochs: 1, seed: 7, ...over.config },
})

beforeAll(async () => {
  await selectBackend('cpu')
})

async function trainedWeights(
  options: TrainOptions,
): Promise<{ weights: Float32Array[]; accuracy: number | undefined }> {
  const result = await train({ ...options, keepModel: true })
  const weights = weightsOf(result.model!)
  result.model!.dispose()
  return { weights, accuracy: result.testAccuracy }
}

describe('train: determinism', () => {
  it('gives bit-identical weights for the same seed and backend (dropout and augmentation included)', async () => {
    const opts = await base({ config: { augment: true } })
    const a = await trainedWeights(opts)
    const b = await trainedWeights(opts)
    expect(a.weights.length).toBeGreaterThan(0)
    a.weights.forEach((w, i) => expect(Buffer.from(b.weights[i]!.buffer).equals(Buffer.from(w.buffer))).toBe(true))
    const c = await trainedWeights(await base({ config: { augment: true, seed: 8 } }))
    expect(c.weights.some((w, i) => !Buffer.from(w.buffer).equals(Buffer.from(a.weights[i]!.buffer)))).toBe(true)
  })

  it('pixel noise is its own stream: same seed same weights, and noise 0 trains exactly as without it', async () => {
    const plain = await trainedWeights(await base({ config: { augment: true } }))
    const off = await trainedWeights(await base({ config: { augment: true, augmentation: { noise: 0 } } }))
    off.weights.forEach((w, i) =>
      expect(Buffer.from(w.buffer).equals(Buffer.from(plain.weights[i]!.buffer))).toBe(true),
    )
    const noisy = { config: { augment: true, augmentation: { noise: 1, noiseSigma: 0.4, noiseSaltPepper: 0.1 } } }
    const a = await trainedWeights(await base(noisy))
    const b = await trainedWeights(await base(noisy))
    a.weights.forEach((w, i) => expect(Buffer.from(w.buffer).equals(Buffer.from(b.weights[i]!.buffer))).toBe(true))
    expect(a.weights.some((w, i) => !Buffer.from(w.buffer).equals(Buffer.from(plain.weights[i]!.buffer)))).toBe(true)
  })

  it('restores Math.random afterwards', async () => {
    const original = Math.random
    await train(await base({ config: { epochs: 1 } }))
    expect(Math.random).toBe(original)
  })
})

describe('train: tensors', () => {
  it('keeps tf.memory().numTensors constant per step (after 2 warm-up steps) and frees everything', async () => {
    const before = tf.memory().numTensors
    const counts: number[] = []
    const result = await train(
      await base({
        data: await subset(16, 20),
        config: { batchSize: 2, epochs: 1 },
        onProgress: () => counts.push(tf.memory().numTensors),
      }),
    )
    // A tensor left behind per step shows as growth between any two of the steps after the warm-up.
    expect(counts).toHaveLength(8)
    expect(new Set(counts.slice(2)).size).toBe(1)
    expect(result.step).toBe(8)
    expect(tf.memory().numTensors).toBe(before)
  })
})

describe('train: progress and result', () => {
  it('reports progress per batch and learns', async () => {
    const seen: number[] = []
    let last: { loss: number; accuracy: number; etaSeconds: number; imagesPerSecond: number } | undefined
    const result = await train(
      await base({
        data: await subset(640, 200),
        config: { model: SMALL_FLAT_MODEL, batchSize: 32, epochs: 2, maxLr: 0.02 },
        onProgress: (p) => {
          seen.push(p.step)
          last = p
          expect(p.batches).toBe(20)
          expect(p.totalSteps).toBe(40)
        },
      }),
    )
    expect(seen).toEqual(Array.from({ length: 40 }, (_, i) => i + 1))
    expect(last!.etaSeconds).toBe(0)
    expect(last!.imagesPerSecond).toBeGreaterThan(0)
    expect(result.history).toHaveLength(2)
    expect(result.history[1]!.trainLoss).toBeLessThan(result.history[0]!.trainLoss)
    expect(result.testAccuracy).toBeGreaterThan(0.6)
    expect(result.trainAccuracy).toBe(result.history[1]!.trainAccuracy)
    expect(result.interrupted).toBe(false)
    expect(result.checkpointDir).toBeUndefined()
  })
})

describe('train: checkpoints', () => {
  it('writes <out>/<timestamp>-<backend>/ atomically with model, optimiser state and metadata', async () => {
    const out = await tempDir('ckpt')
    const result = await train(await base({ save: true, outDir: out }))
    expect(result.modelDir).toBe(result.checkpointDir)
    const dir = result.modelDir!
    expect(path.dirname(dir)).toBe(out)
    expect(path.basename(dir)).toMatch(/^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ-cpu$/)
    // Only the run folder: no temporary or old folders left behind.
    expect(await fs.readdir(out)).toEqual([path.basename(dir)])
    expect((await fs.readdir(dir)).sort()).toEqual([
      'metadata.json',
      'model.json',
      'optimizer.bin',
      'training.json',
      'weights.bin',
    ])
    const { state, optimizer } = await readCheckpoint(dir)
    expect(state.format).toBe(CHECKPOINT_FORMAT)
    expect(state.complete).toBe(true)
    expect(state.backend).toBe('cpu')
    expect(state.device).toMatch(/tfjs-backend-cpu/)
    expect(state.position).toEqual({ epoch: 1, batch: 0, step: 6 })
    expect(state.testAccuracy).toBe(result.testAccuracy)
    expect(state.config.seed).toBe(7)
    expect(state.params).toBe(result.params)
    expect(optimizer.step).toBe(6)
    const loaded = await loadModel(dir)
    expect(loaded.metadata?.backend).toBe('cpu')
    expect(loaded.metadata?.testAccuracy).toBe(result.testAccuracy)
    expect(loaded.metadata?.seed).toBe(7)
    expect(loaded.metadata?.epochs).toBe(1)
    expect(loaded.metadata?.trainingConfig?.['maxLr']).toBe(0.02)
    loaded.model.dispose()
  })

  it('resumes to the same final weights as an uninterrupted run (interrupted mid-epoch, twice; pixel noise on)', async () => {
    const out = await tempDir('resume')
    const opts = await base({
      save: true,
      outDir: out,
      config: { epochs: 2, augment: true, augmentation: { noise: 0.5 } },
    })
    const full = await train({ ...opts, keepModel: true })
    const want = weightsOf(full.model!)
    full.model!.dispose()

    // Stop after step 3 (mid epoch 1), resume, stop after step 9 (mid epoch 2), resume to the end.
    const stopAt = async (step: number, resume?: string) => {
      const controller = new AbortController()
      return train({
        ...opts,
        resume,
        config: resume ? undefined : opts.config,
        signal: controller.signal,
        onProgress: (p) => {
          if (p.step === step) controller.abort()
        },
      })
    }
    const first = await stopAt(3)
    expect(first.interrupted).toBe(true)
    expect(first.step).toBe(3)
    expect(first.modelDir).toBeUndefined()
    const firstState: CheckpointState = (await readCheckpoint(first.checkpointDir!)).state
    expect(firstState.complete).toBe(false)
    expect(firstState.position).toEqual({ epoch: 0, batch: 3, step: 3 })
    const second = await stopAt(9, first.checkpointDir)
    expect(second.interrupted).toBe(true)
    expect((await readCheckpoint(second.checkpointDir!)).state.position).toEqual({ epoch: 1, batch: 3, step: 9 })
    const last = await train({ ...opts, config: undefined, resume: second.checkpointDir, keepModel: true })
    expect(last.interrupted).toBe(false)
    expect(last.step).toBe(12)
    const got = weightsOf(last.model!)
    last.model!.dispose()
    got.forEach((w, i) => expect(Buffer.from(w.buffer).equals(Buffer.from(want[i]!.buffer))).toBe(true))
    expect(last.testAccuracy).toBe(full.testAccuracy)
    expect(last.history.map((h) => h.trainLoss)).toEqual(full.history.map((h) => h.trainLoss))
    // The resumed run went next to its checkpoint; the interrupted checkpoints are kept.
    expect(path.dirname(last.modelDir!)).toBe(out)
    expect((await readCheckpoint(last.modelDir!)).state.resumedFrom).toBe(path.resolve(second.checkpointDir!))
  })

  it('refuses to resume a complete run, changed settings or different data', async () => {
    const out = await tempDir('refuse')
    const opts = await base({ save: true, outDir: out })
    const controller = new AbortController()
    const stopped = await train({
      ...opts,
      signal: controller.signal,
      onProgress: (p) => p.step === 2 && controller.abort(),
    })
    const done = await train({ ...opts })
    await expect(train({ ...opts, config: undefined, resume: done.modelDir })).rejects.toThrow(CheckpointError)
    await expect(train({ ...opts, config: undefined, resume: done.modelDir })).rejects.toThrow(/already complete/)
    await expect(train({ ...opts, config: { batchSize: 16 }, resume: stopped.checkpointDir })).rejects.toThrow(
      /option "batchSize": expected the checkpoint's value 32/,
    )
    await expect(
      train({ ...opts, config: undefined, data: await subset(256, 64), resume: stopped.checkpointDir }),
    ).resolves.toBeDefined() // the first 192 images are the same data
    const other = await subset(192, 64)
    const shifted = { ...other, train: { ...other.train, labels: other.train.labels.map((l) => (l + 1) % 10) } }
    await expect(train({ ...opts, config: undefined, data: shifted, resume: stopped.checkpointDir })).rejects.toThrow(
      /different data/,
    )
    await expect(train({ ...opts, resume: path.join(out, 'nope') })).rejects.toThrow(/training\.json: not found/)
  })
})

describe('train: non-finite loss', () => {
  it('stops with NonFiniteLossError naming the step, and writes nothing', async () => {
    const out = await tempDir('nan')
    const good = await train(await base({ save: true, outDir: out }))
    const before = await snapshot(out)
    const error = await train(await base({ save: true, outDir: out, config: { maxLr: 1e30, divFactor: 1 } })).catch(
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(NonFiniteLossError)
    const e = error as NonFiniteLossError
    expect(e.code).toBe('TRAIN_NON_FINITE_LOSS')
    expect(e.step).toBeGreaterThanOrEqual(2)
    expect(e.message).toContain(`at step ${e.step} (epoch 1, batch ${e.batch})`)
    expect(await snapshot(out)).toEqual(before)
    expect(await fs.readdir(out)).toEqual([path.basename(good.modelDir!)])
  })
})

describe('train: options', () => {
  it('validates options, naming them', async () => {
    await expect(train(await base({ config: { epochs: 0 } }))).rejects.toThrow(InvalidTrainConfigError)
    await expect(train(await base({ config: { epochs: 0 } }))).rejects.toThrow(
      /option "epochs": expected an integer in \[1, 10000\], found 0/,
    )
    await expect(train(await base({ config: { labelSmoothing: 1 } }))).rejects.toThrow(/labelSmoothing/)
    await expect(train(await base({ limit: 100_000 }))).rejects.toThrow(
      /option "limit": expected an integer in \[1, 192\]/,
    )
  })

  it('trains on the first `limit` images and tests on the first `testLimit`', async () => {
    const result = await train(await base({ limit: 64, testLimit: 10 }))
    expect(result.step).toBe(2)
    expect(result.totalSteps).toBe(2)
    expect(result.testAccuracy! * 10).toBeCloseTo(Math.round(result.testAccuracy! * 10), 10)
  })

  it('supports label smoothing', async () => {
    const plain = await train(await base())
    const smooth = await train(await base({ config: { labelSmoothing: 0.1 } }))
    expect(smooth.trainLoss).not.toBe(plain.trainLoss)
    expect(Number.isFinite(smooth.trainLoss)).toBe(true)
  })
})
