// The Winograd kernels (assembly/Winograd3x3.ts: F(4x4, 3x3) forward and input gradient, F(2x2, 3x3) filter gradient)
// against the direct kernels they replace in the fused step: the same convolution, input gradient and filter gradient
// within float rounding ('same' and 'valid', odd sizes, several channel counts), the same bits in any split of the
// images, and the shape rule.
import * as tf from '@tensorflow/tfjs-core'
import { backend_util } from '@tensorflow/tfjs-core'
import { afterAll, describe, expect, test } from 'vitest'
import '../index'
import { MODES, randn, useMode } from '../_testing'
import { setThreadsCount } from '../flags'
import type { SimdBackend } from '../backend'
import { geometryInts, patchBlockRows } from '../kernels/_conv'
import type { KernelArgs, KernelName } from '../runtime'
import { FusedTrainer } from './trainer'
import { planNetwork, type FusedNetwork } from './network'
import {
  CONV_TILES,
  FILTER4_TILES,
  FILTER_TILES,
  convScratch,
  filterGradByF4,
  filterScratch,
  transformFloats,
  transposedGeometry,
  usesWinograd,
} from './winograd'

afterAll(() => setThreadsCount(2))

/** The SIMD builds (the scalar build keeps the direct kernels: usesWinograd is false there). */
const SIMD_MODES = MODES.filter((m) => m.build !== 'scalar' && m.sharedMemory)

function context() {
  const rt = (tf.backend() as unknown as SimdBackend).rt
  const blocks: number[] = []
  const alloc = (floats: number) => {
    const p = rt.heap.alloc(Math.max(1, floats) * 4)
    blocks.push(p)
    rt.heap.f32().fill(0, p >> 2, (p >> 2) + floats)
    return p
  }
  return {
    rt,
    alloc,
    put(values: ArrayLike<number>): number {
      const p = alloc(values.length)
      rt.heap.f32().set(values, p >> 2)
      return p
    },
    ints(values: ArrayLike<number>): number {
      const p = alloc(values.length)
      rt.heap.i32(p, values.length).set(values)
      return p
    },
    /** One job per thread when the threads are there, else one after the other. */
    run<K extends KernelName>(name: K, ...jobs: KernelArgs<K>[]): void {
      if (jobs.length <= rt.threads) rt.run(name, jobs)
      else for (const j of jobs) rt.run(name, [j])
    },
    get: (ptr: number, floats: number) => rt.heap.f32().slice(ptr >> 2, (ptr >> 2) + floats),
    done: () => blocks.forEach((b) => rt.heap.free(b)),
  }
}

/** max |a - b| / max |b|: the error relative to the result's scale. */
function relErr(a: Float32Array, b: Float32Array): number {
  let err = 0,
    scale = 0
  for (let i = 0; i < a.length; i++) {
    err = Math.max(err, Math.abs(a[i]! - b[i]!))
    scale = Math.max(scale, Math.abs(b[i]!))
  }
  return err / scale
}

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length))

// [N, H, W, C, OC, padding]: even and odd outputs (7x7, 5x5, 5x6), channels 4 .. 32, OC a multiple of 8 and not.
// The kernels take any of these; the fused step uses them on the shapes of usesWinograd only.
const SHAPES: [number, number, number, number, number, 'same' | 'valid'][] = [
  [3, 8, 8, 8, 16, 'same'],
  [2, 7, 7, 4, 8, 'same'],
  [2, 5, 6, 12, 4, 'same'],
  [3, 7, 7, 32, 32, 'valid'],
  [2, 9, 8, 4, 12, 'valid'],
  [1, 14, 14, 16, 32, 'same'],
  [1, 28, 28, 8, 16, 'same'],
]

describe.each(SIMD_MODES)('Winograd kernels ($label)', (mode) => {
  test.each(SHAPES)(
    '%i x %i x %i x %i -> %i (%s): forward, input and filter gradients as the direct kernels, in any split',
    async (N, H, W, C, OC, padding) => {
      await useMode(mode)
      const k = context()
      try {
        const info = backend_util.computeConv2DInfo([N, H, W, C], [3, 3, C, OC], 1, 1, padding)
        const { outHeight: OH, outWidth: OW } = info
        const rows = N * OH * OW
        const K = 9 * C
        const geoInts = geometryInts(info)
        const geo = k.ints(geoInts)
        const geoT = k.ints(transposedGeometry(geoInts))
        const x = k.put(randn(N * H * W * C, 1))
        const w = k.put(randn(K * OC, 2).map((v) => v * 0.2))
        const dy = k.put(randn(rows * OC, 3))
        const mb = patchBlockRows(K)
        const scratch = k.alloc(mb * K + 16 * OC)
        // the direct kernels
        const y = k.alloc(rows * OC)
        const dx = k.alloc(N * H * W * C)
        const dw = k.alloc(K * OC)
        const wt = k.alloc(K * OC)
        k.run('transpose_f32', [w, wt, K, OC])
        k.run('conv2d_f32', [x, w, y, geo, 0, rows, scratch, mb])
        k.run('conv2d_backprop_input_f32', [dy, wt, dx, geo, 0, N, scratch, mb])
        k.run('conv2d_backprop_filter_f32', [x, dy, dw, geo, 0, rows, scratch, mb])
        // Winograd: all images in one call, then split after the first image (two threads where there are two)
        const u = k.alloc(transformFloats(C, OC))
        const ut = k.alloc(transformFloats(C, OC))
        k.run('winograd_weights_f32', [w, u, C, OC, 0])
        k.run('winograd_weights_f32', [w, ut, C, OC, 1])
        const floats = Math.max(
          convScratch(C, OC, OH, OW),
          convScratch(OC, C, H, W),
          filterScratch(C, OC, OH, OW, false),
          filterScratch(C, OC, OH, OW, true),
        )
        const s0 = k.alloc(floats)
        const s1 = k.alloc(floats)
        const results = [N, 1].map((split) => {
          const y2 = k.alloc(rows * OC)
          const dx2 = k.alloc(N * H * W * C)
          const dw2 = k.alloc(K * OC)
          const dw4 = k.alloc(K * OC)
          const fwd: KernelArgs<'winograd_conv_f32'>[] = [[x, u, y2, geo, 0, split, s0, CONV_TILES]]
          const bwd: KernelArgs<'winograd_conv_f32'>[] = [[dy, ut, dx2, geoT, 0, split, s0, CONV_TILES]]
          if (split < N) {
            fwd.push([x, u, y2, geo, split, N, s1, CONV_TILES])
            bwd.push([dy, ut, dx2, geoT, split, N, s1, CONV_TILES])
          }
          k.run('winograd_conv_f32', ...fwd)
          k.run('winograd_conv_f32', ...bwd)
          k.run('winograd_filter_grad_f32', [x, dy, dw2, geo, 0, N, s0, FILTER_TILES])
          k.run('winograd4_filter_grad_f32', [x, dy, dw4, geo, 0, N, s1, FILTER4_TILES])
          return {
            y: k.get(y2, rows * OC),
            dx: k.get(dx2, N * H * W * C),
            dw: k.get(dw2, K * OC),
            dw4: k.get(dw4, K * OC),
          }
        })
        const [whole, split] = results as [(typeof results)[0], (typeof results)[0]]
        // F(4x4, 3x3) rounds more than F(2x2, 3x3) (its transforms scale by up to 8 and 1/24): measured 1e-6 .. 6e-6
        expect(relErr(whole.y, k.get(y, rows * OC)), 'forward').toBeLessThan(2e-5)
        expect(relErr(whole.dx, k.get(dx, N * H * W * C)), 'input gradient').toBeLessThan(2e-5)
        // F(2x2, 3x3): measured 2e-7 .. 9e-7; F(4x4, 3x3) 1e-6 .. 3e-6
        expect(relErr(whole.dw, k.get(dw, K * OC)), 'filter gradient').toBeLessThan(3e-6)
        expect(relErr(whole.dw4, k.get(dw, K * OC)), 'filter gradient, F(4x4, 3x3)').toBeLessThan(2e-5)
        expect(bits(split.y), 'forward, split').toEqual(bits(whole.y))
        expect(bits(split.dx), 'input gradient, split').toEqual(bits(whole.dx))
        expect(bits(split.dw), 'filter gradient, again').toEqual(bits(whole.dw))
        expect(bits(split.dw4), 'filter gradient, F(4x4, 3x3), again').toEqual(bits(whole.dw4))
      } finally {
        k.done()
      }
    },
  )
})

describe('Winograd in the fused step', () => {
  test('the shape rule: stride-1 3x3 same/valid, channels multiples of 4, 32 outputs or 28x28, SIMD builds', () => {
    const info = (shape: [number, number, number, number], oc: number, f = 3, s = 1, pad: 'same' | 'valid' = 'same') =>
      backend_util.computeConv2DInfo(shape, [f, f, shape[3], oc], s, 1, pad)
    // model C's 3x3 layers but #4
    expect(usesWinograd(info([1, 28, 28, 8], 16), 'relaxed-simd')).toBe(true)
    expect(usesWinograd(info([1, 14, 14, 16], 32), 'simd')).toBe(true)
    expect(usesWinograd(info([1, 7, 7, 16], 32), 'simd')).toBe(true)
    expect(usesWinograd(info([1, 7, 7, 32], 32, 3, 1, 'valid'), 'simd')).toBe(true)
    expect(usesWinograd(info([1, 14, 14, 8], 16), 'simd')).toBe(false)
    // @mnist/model's default network keeps the direct kernels
    expect(usesWinograd(info([1, 7, 7, 16], 24), 'simd')).toBe(false)
    expect(usesWinograd(info([1, 7, 7, 24], 24), 'simd')).toBe(false)
    expect(usesWinograd(info([1, 28, 28, 4], 8), 'simd')).toBe(false)
    expect(usesWinograd(info([1, 28, 28, 8], 16), 'scalar')).toBe(false)
    expect(usesWinograd(info([1, 28, 28, 1], 32), 'simd')).toBe(false)
    expect(usesWinograd(info([1, 28, 28, 8], 30), 'simd')).toBe(false)
    expect(usesWinograd(info([1, 28, 28, 8], 32, 3, 2), 'simd')).toBe(false)
    expect(usesWinograd(info([1, 28, 28, 8], 32, 5), 'simd')).toBe(false)
    expect(usesWinograd(info([1, 28, 28, 8], 32, 1), 'simd')).toBe(false)
  })

  // 'valid' and 'same' Winograd layers after a direct first layer: 14x14 (filter gradient by F(4x4, 3x3)), then 7x7
  // and 5x5 (by F(2x2, 3x3))
  const NET: FusedNetwork = {
    inputShape: [16, 16, 1],
    layers: [
      { type: 'conv2d', filters: 8, kernelSize: [3, 3], padding: 'same', useBias: false },
      { type: 'batchNorm', epsilon: 1e-3, momentum: 0.9 },
      { type: 'relu' },
      { type: 'conv2d', filters: 32, kernelSize: [3, 3], padding: 'valid', useBias: true },
      { type: 'relu' },
      { type: 'maxPool', poolSize: [2, 2] },
      { type: 'conv2d', filters: 32, kernelSize: [3, 3], padding: 'same', useBias: false },
      { type: 'batchNorm', epsilon: 1e-3, momentum: 0.9 },
      { type: 'relu' },
      { type: 'conv2d', filters: 32, kernelSize: [3, 3], padding: 'valid', useBias: false },
      { type: 'relu' },
      { type: 'flatten' },
      { type: 'dense', units: 10, useBias: true },
    ],
  }

  test('trains bit-identically with 1 and 2 threads (and the adaptive thread choice)', async () => {
    const { stages } = planNetwork(NET)
    const convs = stages.flatMap((s) =>
      s.kind === 'linear' && s.conv ? [[usesWinograd(s.conv, 'simd'), filterGradByF4(s.conv)]] : [],
    )
    expect(convs).toEqual([
      [false, true],
      [true, true],
      [true, false],
      [true, false],
    ])
    const x = randn(6 * 256, 5)
    const labels = [0, 3, 9, 1, 4, 7]
    const h = { learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01 }
    const runWith = async (threads: number, adaptiveThreads: boolean) => {
      await useMode({ ...MODES[0]!, threads })
      const trainer = new FusedTrainer(NET, { batchSize: 6, adaptiveThreads })
      try {
        trainer.setWeights(trainer.paramSpecs.map((p, i) => randn(p.size, 40 + i).map((v) => v * 0.3)))
        for (let i = 0; i < 12; i++) trainer.trainStep({ images: x, labels, size: i % 3 === 2 ? 5 : 6 }, h)
        return { weights: trainer.getWeights(), states: trainer.getStates(), logits: trainer.predictLogits(x, 6) }
      } finally {
        trainer.dispose()
      }
    }
    const one = await runWith(1, false)
    expect(await runWith(2, false)).toEqual(one)
    expect(await runWith(2, true)).toEqual(one)
  })
})
