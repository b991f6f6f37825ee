// One training run in the worker: @mnist/train's browser train() on data in memory, with the fused step on simd.
import type { LayersModel } from '@tensorflow/tfjs-layers'
import { train, type TrainProgress, type TrainStartInfo } from '@mnist/train'
import type { MnistSplits } from '../lib/mnist-data'

export interface RunOptions {
  data: MnistSplits
  /** Training images used (the first n). */
  limit: number
  /** Test images evaluated after each epoch (the first n). */
  testLimit: number
  epochs: number
  threads: number
  signal: AbortSignal
  onStart(info: TrainStartInfo): void
  onProgress(p: TrainProgress): void
}

export interface RunResult {
  model: LayersModel
  interrupted: boolean
  seconds: number
}

export async function runTraining(o: RunOptions): Promise<RunResult> {
  const result = await train({
    data: { train: o.data.train, test: o.data.test },
    limit: o.limit,
    testLimit: o.testLimit,
    config: { epochs: o.epochs },
    backend: 'simd',
    threads: o.threads,
    save: false,
    keepModel: true,
    signal: o.signal,
    onStart: o.onStart,
    onProgress: o.onProgress,
  })
  return { model: result.model!, interrupted: result.interrupted, seconds: result.trainSeconds }
}
