// A whole training step of model C on simd vs cpu, and many steps without tensor or wasm-heap growth.
import * as tf from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import { afterAll, describe, expect, test } from 'vitest'
import { buildModelC, JsAdamW, randomBatch, trainableVariables } from '../bench/model'
import { getSimdBackend, setThreadsCount } from '../src/index'
import { maxRelErr, MODES, useMode } from '../src/_testing'

afterAll(() => setThreadsCount(2))

function lossAndGrads(model: tfl.LayersModel, xs: Float32Array, ys: Float32Array, batch: number) {
  const vars = trainableVariables(model)
  return tf.tidy(() => {
    const x = tf.tensor4d(xs, [batch, 28, 28, 1])
    const y = tf.tensor2d(ys, [batch, 10])
    const { value, grads } = tf.variableGrads(
      () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
      vars,
    )
    return { loss: value.dataSync()[0]!, grads: vars.map((v) => grads[v.name]!.dataSync() as Float32Array) }
  })
}

describe('model C training step', () => {
  // Same seed -> same weights in every model built below; the cpu reference is computed once.
  let cpuRef: { loss: number; grads: Float32Array[] } | undefined
  const { xs, ys } = randomBatch(4, 5)
  async function reference() {
    if (!cpuRef) {
      await tf.setBackend('cpu')
      const model = buildModelC(3)
      cpuRef = lossAndGrads(model, xs, ys, 4)
      model.dispose()
    }
    return cpuRef
  }

  test.each(MODES.filter((m) => m.build !== 'scalar' || m.threads > 1))(
    'loss and every gradient match cpu ($label)',
    async (mode) => {
      const cpu = await reference()
      await useMode(mode)
      const model = buildModelC(3)
      const before = tf.memory().numTensors
      const simd = lossAndGrads(model, xs, ys, 4)
      expect(tf.memory().numTensors).toBe(before)
      expect(Math.abs(simd.loss - cpu.loss)).toBeLessThan(1e-4 * Math.max(1, Math.abs(cpu.loss)))
      simd.grads.forEach((g, i) => {
        // Gradients are sums over the batch: compare relative to the largest entry of each tensor.
        const scale = Math.max(1e-3, ...Array.from(cpu.grads[i]!, Math.abs))
        const err = maxRelErr(
          g.map((v) => v / scale),
          cpu.grads[i]!.map((v) => v / scale),
        )
        expect(err, `gradient ${i} ${trainableVariables(model)[i]!.name}`).toBeLessThan(1e-3)
      })
      model.dispose()
    },
  )
})

function smallModel(): tfl.LayersModel {
  const m = tfl.sequential()
  m.add(
    tfl.layers.conv2d({
      inputShape: [12, 12, 1],
      filters: 4,
      kernelSize: 3,
      padding: 'same',
      useBias: false,
      kernelInitializer: tfl.initializers.heNormal({ seed: 1 }),
    }),
  )
  m.add(tfl.layers.batchNormalization())
  m.add(tfl.layers.reLU())
  m.add(tfl.layers.maxPooling2d({ poolSize: 2 }))
  m.add(
    tfl.layers.conv2d({
      filters: 8,
      kernelSize: 3,
      padding: 'valid',
      kernelInitializer: tfl.initializers.heNormal({ seed: 2 }),
    }),
  )
  m.add(tfl.layers.globalAveragePooling2d({}))
  m.add(tfl.layers.dense({ units: 10, kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) }))
  return m
}

describe('no leaks over many steps', () => {
  test.each([MODES[0]!, MODES[4]!])(
    '1,000 steps: tensors and wasm heap return to the same level ($label)',
    async (mode) => {
      await useMode(mode, { parallelThreshold: 400_000 })
      const model = smallModel()
      const opt = new JsAdamW(trainableVariables(model))
      const batches = [randomBatch(8, 1), randomBatch(8, 2)]
      const xs = batches.map((b) => {
        const x = new Float32Array(8 * 144)
        x.set(b.xs.subarray(0, 8 * 144))
        return x
      })
      const step = (i: number) =>
        tf.tidy(() => {
          const x = tf.tensor4d(xs[i % 2]!, [8, 12, 12, 1])
          const y = tf.tensor2d(batches[i % 2]!.ys, [8, 10])
          const { value, grads } = tf.variableGrads(
            () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
            opt.vars,
          )
          opt.apply(grads)
          return value.dataSync()[0]!
        })
      for (let i = 0; i < 20; i++) step(i)
      const rt = getSimdBackend()!.rt
      const tensors = tf.memory().numTensors
      const inUse = rt.heap.bytesInUse
      const reserved = rt.heap.bytesReserved
      let last = 0
      for (let i = 20; i < 1000; i++) last = step(i)
      expect(Number.isFinite(last)).toBe(true)
      expect(tf.memory().numTensors).toBe(tensors)
      expect(rt.heap.bytesInUse).toBe(inUse)
      expect(rt.heap.bytesReserved).toBe(reserved)
      model.dispose()
    },
  )
})
