import * as tf from '@tensorflow/tfjs-core'
import type { ModelConfig } from '@mnist/model'
import { describe, expect, it } from 'vitest'
import {
  CheckpointError,
  IndexedDbCheckpointStore,
  InvalidTrainConfigError,
  MemoryCheckpointStore,
  train,
  type TrainOptions,
  type TrainProgress,
  type TrainStartInfo,
} from '../src/browser'
import { SMALL_FLAT_MODEL, subset, weightsOf } from './helpers'

// The browser entry's train() on Node: the code path a page or a Web Worker runs (in-memory data, checkpoints in a
// store, abort through an AbortSignal), on the simd backend with the fused step.

const MODEL: Partial<ModelConfig> = { layers: [...SMALL_FLAT_MODEL.layers!, { type: 'dropout', rate: 0.2 }] }

const options = async (): Promise<TrainOptions> => ({
  backend: 'simd',
  data: await subset(320, 64),
  config: { model: MODEL, batchSize: 32, epochs: 2, seed: 5, augment: true },
})

const same = (a: Float32Array[], b: Float32Array[]): boolean =>
  a.length === b.length && a.every((w, i) => Buffer.from(w.buffer).equals(Buffer.from(b[i]!.buffer)))

async function trainedWeights(opts: TrainOptions): Promise<{ weights: Float32Array[]; interrupted: boolean }> {
  const result = await train({ ...opts, keepModel: true })
  const weights = weightsOf(result.model!)
  result.model!.dispose()
  return { weights, interrupted: result.interrupted }
}

describe('the browser entry’s train()', () => {
  it('trains from in-memory data with the fused step and reports progress, evaluation and each epoch', async () => {
    const progress: TrainProgress[] = []
    const epochs: number[] = []
    let start: TrainStartInfo | undefined
    const store = new MemoryCheckpointStore()
    await tf.ready()
    const before = tf.memory().numTensors
    const result = await train({
      ...(await options()),
      checkpoints: store,
      onStart: (info) => (start = info),
      onProgress: (p) => progress.push(p),
      onEpochEnd: (e) => epochs.push(e.epoch),
    })
    expect(start).toMatchObject({ backend: 'simd', stepEngine: 'fused', dataSource: 'memory', runDir: 'memory' })
    expect(progress.map((p) => p.step)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1))
    expect(progress.at(-1)).toMatchObject({ epoch: 2, batch: 10, batches: 10, totalSteps: 20 })
    expect(epochs).toEqual([1, 2])
    expect(result).toMatchObject({
      interrupted: false,
      checkpointDir: 'memory',
      modelDir: 'memory',
      stepEngine: 'fused',
    })
    expect(result.testAccuracy).toBeGreaterThan(0.3)
    const saved = await store.load()
    expect(saved?.state).toMatchObject({ complete: true, position: { epoch: 2, batch: 0, step: 20 } })
    expect(tf.memory().numTensors).toBe(before)
  })

  it('stops on abort with a checkpoint in memory; the resumed run ends with the uninterrupted run’s weights', async () => {
    const opts = await options()
    const uninterrupted = await trainedWeights(opts)

    const store = new MemoryCheckpointStore()
    const controller = new AbortController()
    const first = await trainedWeights({
      ...opts,
      checkpoints: store,
      signal: controller.signal,
      // Mid-epoch 1: the checkpoint holds the epoch's running sums and the optimiser state.
      onProgress: (p) => p.step === 13 && controller.abort(),
    })
    expect(first.interrupted).toBe(true)
    expect((await store.load())?.state).toMatchObject({ complete: false, position: { epoch: 1, batch: 3, step: 13 } })

    let resumedAt: TrainStartInfo['position'] | undefined
    const resumed = await trainedWeights({
      data: opts.data,
      checkpoints: store,
      resume: store,
      onStart: (info) => (resumedAt = info.position),
    })
    expect(resumed.interrupted).toBe(false)
    expect(resumedAt).toEqual({ epoch: 1, batch: 3, step: 13 })
    expect(same(resumed.weights, uninterrupted.weights)).toBe(true)
    expect((await store.load())?.state).toMatchObject({ complete: true, resumedFrom: 'memory' })
  })

  it('refuses what needs Node: no data, a checkpoint folder, an empty store; IndexedDB where there is none', async () => {
    await expect(train({ backend: 'cpu' })).rejects.toMatchObject({ code: 'TRAIN_INVALID_CONFIG', option: 'data' })
    const data = (await options()).data
    await expect(train({ data, resume: '/some/folder' })).rejects.toBeInstanceOf(InvalidTrainConfigError)
    await expect(train({ data, resume: new MemoryCheckpointStore('empty') })).rejects.toThrow(
      /empty: holds no checkpoint/,
    )
    expect(() => new IndexedDbCheckpointStore('run')).toThrow(CheckpointError)
  })
})
