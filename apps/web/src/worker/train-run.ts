// One training run in the worker. TEMPORARY: a minimal loop on @mnist/backend-simd's FusedTrainer, shaped like
// @mnist/train's train() (data in memory, limit, AbortSignal, progress); replaced by its browser entry when it lands.
import * as tf from '@tensorflow/tfjs-core'
import type { LayersModel } from '@tensorflow/tfjs-layers'
import { FusedTrainer, fusedNetworkFromSpec } from '@mnist/backend-simd'
import { createModel, getModelConfig, MNIST_NORMALIZATION } from '@mnist/model'
import type { MnistSplits } from '../lib/mnist-data'

export interface RunOptions {
  data: MnistSplits
  limit: number
  epochs: number
  signal: AbortSignal
  onStart(info: { trainImages: number; totalSteps: number }): void
  onProgress(p: {
    epoch: number
    step: number
    totalSteps: number
    loss: number
    accuracy: number
    imagesPerSecond: number
    etaSeconds: number
    elapsedSeconds: number
  }): void
}

export interface RunResult {
  model: LayersModel
  interrupted: boolean
  seconds: number
}

const BATCH = 32
const MAX_LR = 0.02

function normalized(images: Uint8Array): Float32Array {
  const { mean, std } = MNIST_NORMALIZATION
  return Float32Array.from(images, (v) => (v / 255 - mean) / std)
}

export async function runTraining(o: RunOptions): Promise<RunResult> {
  const count = Math.min(o.limit, o.data.train.count)
  const images = normalized(o.data.train.images.subarray(0, count * 784))
  const labels = o.data.train.labels.subarray(0, count)
  const model = createModel({ seed: 1 })
  const trainer = new FusedTrainer(fusedNetworkFromSpec(getModelConfig(model)!), {
    batchSize: BATCH,
    labelSmoothing: 0.05,
  })
  trainer.setWeights(model.trainableWeights.map((w) => w.read().dataSync() as Float32Array))
  trainer.setStates(model.nonTrainableWeights.map((w) => w.read().dataSync() as Float32Array))
  const batches = Math.floor(count / BATCH)
  const totalSteps = batches * o.epochs
  o.onStart({ trainImages: count, totalSteps })
  const t0 = performance.now()
  const bx = new Float32Array(BATCH * 784)
  const by = new Int32Array(BATCH)
  let step = 0
  let interrupted = false
  for (let epoch = 1; epoch <= o.epochs && !interrupted; epoch++) {
    const order = shuffled(count, epoch)
    let lossSum = 0
    let correct = 0
    for (let b = 0; b < batches; b++) {
      if (o.signal.aborted) {
        interrupted = true
        break
      }
      for (let i = 0; i < BATCH; i++) {
        const k = order[b * BATCH + i]
        bx.set(images.subarray(k * 784, k * 784 + 784), i * 784)
        by[i] = labels[k]
      }
      const pct = step / Math.max(1, totalSteps - 1)
      const learningRate =
        pct < 0.2 ? MAX_LR * (0.04 + 0.96 * (pct / 0.2)) : MAX_LR * 0.5 * (1 + Math.cos((Math.PI * (pct - 0.2)) / 0.8))
      const r = trainer.trainStep(
        { images: bx, labels: by, dropoutSeed: step },
        { learningRate, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01 },
      )
      step++
      lossSum += r.loss
      correct += r.correct
      if (step % 10 === 0 || b === batches - 1) {
        const elapsed = (performance.now() - t0) / 1000
        o.onProgress({
          epoch,
          step,
          totalSteps,
          loss: lossSum / (b + 1),
          accuracy: correct / ((b + 1) * BATCH),
          imagesPerSecond: (step * BATCH) / elapsed,
          etaSeconds: (elapsed / step) * (totalSteps - step),
          elapsedSeconds: elapsed,
        })
        // Let the stop message in.
        await new Promise((r) => setTimeout(r, 0))
      }
    }
  }
  const weights = trainer.getWeights()
  const states = trainer.getStates()
  model.trainableWeights.forEach((w, i) => w.write(tf.tensor(weights[i], w.shape as number[])))
  model.nonTrainableWeights.forEach((w, i) => w.write(tf.tensor(states[i], w.shape as number[])))
  trainer.dispose()
  return { model, interrupted, seconds: (performance.now() - t0) / 1000 }
}

function shuffled(n: number, seed: number): Uint32Array {
  const a = Uint32Array.from({ length: n }, (_, i) => i)
  let s = seed * 2654435761
  for (let i = n - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) >>> 0
    const j = s % (i + 1)
    ;[a[i], a[j]] = [a[j], a[i]]
  }
  return a
}
