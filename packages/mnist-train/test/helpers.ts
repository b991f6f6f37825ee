import { createHash } from 'node:crypto'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { LayersModel } from '@tensorflow/tfjs-layers'
import { loadMnist, type MnistSplit } from '@mnist/data'
import type { ModelConfig } from '@mnist/model'
import type { TrainData } from '../src/options'

/** A small net with every layer kind the default has (conv+BN+ReLU, pooling, GAP, dropout): fast on `cpu`. */
export const TINY_MODEL: Partial<ModelConfig> = {
  layers: [
    { type: 'conv', filters: 4, kernelSize: 3, padding: 'same', batchNorm: true },
    { type: 'maxPool', poolSize: 2 },
    { type: 'conv', filters: 8, kernelSize: 3, padding: 'same', batchNorm: true },
    { type: 'maxPool', poolSize: 2 },
    { type: 'globalAvgPool' },
    { type: 'dropout', rate: 0.25 },
  ],
}

/** Learns MNIST quickly (a flatten head): for tests that check the loop actually learns. */
export const SMALL_FLAT_MODEL: Partial<ModelConfig> = {
  layers: [
    { type: 'conv', filters: 8, kernelSize: 3, padding: 'same', batchNorm: true },
    { type: 'maxPool', poolSize: 2 },
    { type: 'conv', filters: 8, kernelSize: 3, padding: 'same', batchNorm: true },
    { type: 'maxPool', poolSize: 2 },
    { type: 'flatten' },
  ],
}

let cached: Promise<{ train: MnistSplit; test: MnistSplit }> | undefined

/** Real MNIST (loadMnist's normal source order: MNIST_DATA_DIR, cache, mirrors), loaded once per test file. */
export function realMnist(): Promise<{ train: MnistSplit; test: MnistSplit }> {
  cached ??= loadMnist().then((d) => ({ train: d.train, test: d.test }))
  return cached
}

/** The first `trainCount` / `testCount` images, as `train({ data })` takes them. */
export async function subset(trainCount: number, testCount: number): Promise<TrainData> {
  const { train, test } = await realMnist()
  const cut = (s: MnistSplit, n: number): MnistSplit => ({
    ...s,
    images: s.images.subarray(0, n * s.rows * s.cols),
    labels: s.labels.subarray(0, n),
    count: n,
  })
  return { train: cut(train, trainCount), test: cut(test, testCount) }
}

/** Every weight of a model (trainable and BatchNorm statistics), copied. */
export function weightsOf(model: LayersModel): Float32Array[] {
  return model.getWeights().map((w) => w.dataSync().slice() as Float32Array)
}

export async function tempDir(prefix: string): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), `mnist-train-${prefix}-`))
}

/** Path -> sha256 of every file under `dir` (to prove nothing changed). */
export async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  const walk = async (d: string): Promise<void> => {
    for (const entry of await fs.readdir(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name)
      if (entry.isDirectory()) await walk(p)
      else
        out[path.relative(dir, p)] = createHash('sha256')
          .update(await fs.readFile(p))
          .digest('hex')
    }
  }
  await walk(dir)
  return out
}
