import * as tf from '@tensorflow/tfjs-core'
import type { LayersModel } from '@tensorflow/tfjs-layers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PIXELS, constantImages, constantModel, linearModel, nearestLevelModel } from '../test/tiny-models'
import { InvalidOptionError } from './errors'
import { noiseRobustness, saltAndPepper } from './noise'
import { createRng } from '@mnist/data/stats'

const values = Array.from({ length: 40 }, (_, i) => (i * 37) % 256)
const labelsFor = (vs: number[]): number[] =>
  vs.map((v) => Math.max(0, Math.min(3, Math.round((v / 255 - 0.1307) / 0.3081))))

describe('noiseRobustness', () => {
  let level: LayersModel
  beforeAll(() => {
    level = nearestLevelModel()
  })
  afterAll(() => level.dispose())

  it('a model that ignores its input keeps its accuracy and its logits under any noise', async () => {
    const model = constantModel([0, 3, 1, 0])
    try {
      const data = constantImages(
        values,
        values.map((_, i) => i % 4),
      )
      const r = await noiseRobustness(model, data)
      expect(r.cleanAccuracy).toBe(0.25)
      expect(r.gaussian.map((g) => g.sigma)).toEqual([0, 0.1, 0.2, 0.3, 0.5])
      expect(r.gaussian.every((g) => g.accuracy === 0.25)).toBe(true)
      expect(r.saltPepper.map((s) => s.rate)).toEqual([0.02, 0.05, 0.1])
      expect(r.saltPepper.every((s) => s.accuracy === 0.25)).toBe(true)
      expect(r.meanLogitDelta).toBe(0)
      expect(r.meanLogitDeltaSigma).toBe(0.1)
    } finally {
      model.dispose()
    }
  })

  it('measures the logit change of a linear model at its expected size: sigma * ||w|| * sqrt(2 / pi)', async () => {
    // Every logit has ||w_k|| = 1, so |delta_k| ~ |N(0, 0.1^2)|, whose mean is 0.1 * sqrt(2 / pi) = 0.0798.
    const classes = 10
    const kernel = new Float32Array(PIXELS * classes).fill(1 / Math.sqrt(PIXELS))
    const model = linearModel(kernel, new Array<number>(classes).fill(0))
    try {
      const data = constantImages(new Array<number>(300).fill(0), new Array<number>(300).fill(0))
      const r = await noiseRobustness(model, data, { sigmas: [0], saltPepperRates: [] })
      expect(r.meanLogitDelta).toBeGreaterThan(0.1 * Math.sqrt(2 / Math.PI) * 0.95)
      expect(r.meanLogitDelta).toBeLessThan(0.1 * Math.sqrt(2 / Math.PI) * 1.05)
    } finally {
      model.dispose()
    }
  })

  it('degrades accuracy as sigma grows on an input-sensitive model', async () => {
    const data = constantImages(values, labelsFor(values))
    // Per-pixel noise averages out over 784 pixels (the model reads the mean), so use large sigmas.
    const r = await noiseRobustness(level, data, { sigmas: [0, 2, 8, 30], saltPepperRates: [] })
    expect(r.cleanAccuracy).toBe(1)
    expect(r.gaussian[0]!.accuracy).toBe(1)
    expect(r.gaussian[3]!.accuracy).toBeLessThan(0.8)
    expect(r.gaussian[3]!.accuracy).toBeLessThanOrEqual(r.gaussian[1]!.accuracy)
  })

  it('is deterministic: same seed, same numbers, whatever the batch size or the other sigmas asked for', async () => {
    const data = constantImages(values, labelsFor(values))
    const options = { sigmas: [0, 8, 16], saltPepperRates: [0.3, 0.6], seed: 5 }
    const a = await noiseRobustness(level, data, { ...options, batchSize: 256 })
    const b = await noiseRobustness(level, data, { ...options, batchSize: 7 })
    expect(b).toEqual(a)
    const c = await noiseRobustness(level, data, { sigmas: [16], saltPepperRates: [0.6], seed: 5 })
    expect(c.gaussian[0]).toEqual(a.gaussian[2])
    expect(c.saltPepper[0]).toEqual(a.saltPepper[1])
    expect(c.meanLogitDelta).toBe(a.meanLogitDelta)
    const d = await noiseRobustness(level, data, { ...options, seed: 6 })
    expect(d.meanLogitDelta).not.toBe(a.meanLogitDelta)
    expect(d.seed).toBe(6)
  })

  it('leaks no tensors', async () => {
    const data = constantImages(values, labelsFor(values))
    await noiseRobustness(level, data, { batchSize: 16 })
    const before = tf.memory().numTensors
    await noiseRobustness(level, data, { batchSize: 16 })
    expect(tf.memory().numTensors).toBe(before)
  })

  it('rejects bad options, naming them', async () => {
    const data = constantImages(values, labelsFor(values))
    await expect(noiseRobustness(level, data, { sigmas: [-0.1] })).rejects.toThrow(/option "sigmas"/)
    await expect(noiseRobustness(level, data, { saltPepperRates: [1.5] })).rejects.toThrow(
      /option "saltPepperRates": expected numbers in 0..1, found 1.5/,
    )
    await expect(noiseRobustness(level, data, { seed: 1.5 })).rejects.toThrow(InvalidOptionError)
    await expect(noiseRobustness(level, data, { sigmas: [Number.NaN] })).rejects.toThrow(InvalidOptionError)
  })
})

describe('saltAndPepper', () => {
  it('flips about `rate` of the pixels, half to black and half to white, and keeps the rest', () => {
    const n = 100_000
    const src = new Uint8Array(n).fill(100)
    const out = new Uint8Array(n)
    saltAndPepper(src, out, 0.1, createRng(1))
    let black = 0
    let white = 0
    let kept = 0
    for (const v of out) {
      if (v === 0) black++
      else if (v === 255) white++
      else if (v === 100) kept++
    }
    expect(black + white + kept).toBe(n)
    expect(Math.abs(black / n - 0.05)).toBeLessThan(0.004)
    expect(Math.abs(white / n - 0.05)).toBeLessThan(0.004)
  })

  it('rate 0 copies the input', () => {
    const src = Uint8Array.from({ length: 50 }, (_, i) => i)
    const out = new Uint8Array(50)
    saltAndPepper(src, out, 0, createRng(2))
    expect(Array.from(out)).toEqual(Array.from(src))
  })
})
