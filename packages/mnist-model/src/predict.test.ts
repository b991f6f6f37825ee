import * as tfc from '@tensorflow/tfjs-core'
import { afterAll, describe, expect, it } from 'vitest'
import { logits, randomPixels } from '../test/helpers'
import { InputRangeError, InputShapeError } from './errors'
import { createModel } from './model'
import { predict, predictAsync, toInputTensor, type Prediction } from './predict'

const model = createModel({ seed: 5 })
afterAll(() => model.dispose())
const px = randomPixels(3, 4)
const reference = predict(model, px)

function close(a: Prediction[], b: Prediction[]): void {
  expect(a.map((p) => p.digit)).toEqual(b.map((p) => p.digit))
  a.forEach((p, i) => p.probabilities.forEach((v, j) => expect(v).toBeCloseTo(b[i]!.probabilities[j]!, 5)))
}
const image = (i: number): Uint8Array => px.subarray(i * 784, (i + 1) * 784)

describe('predict', () => {
  it('returns one digit + 10 probabilities (softmax of the logits) per image', () => {
    expect(reference).toHaveLength(3)
    const raw = logits(model, px)
    reference.forEach((p, i) => {
      expect(p.probabilities).toHaveLength(10)
      expect(p.probabilities.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5)
      const row = Array.from(raw.subarray(i * 10, i * 10 + 10))
      expect(p.digit).toBe(row.indexOf(Math.max(...row)))
      expect(p.probabilities[p.digit]).toBe(Math.max(...p.probabilities))
    })
  })

  it('accepts every input kind with the same result', () => {
    const unit = Float32Array.from(px, (v) => v / 255)
    close(predict(model, new Uint8ClampedArray(px)), reference)
    close(predict(model, unit), reference)
    close(predict(model, Float64Array.from(unit)), reference)
    close(predict(model, Array.from(unit)), reference)
    close(predict(model, [image(0), image(1), image(2)]), reference)
    close(
      predict(
        model,
        [0, 1, 2].map((i) => Array.from(image(i), (v) => v / 255)),
      ),
      reference,
    )
    // ImageData-like RGBA (opaque gray) and 1 byte a pixel
    const rgba = (i: number) => {
      const d = new Uint8ClampedArray(784 * 4)
      image(i).forEach((v, k) => d.set([v, v, v, 255], k * 4))
      return { data: d, width: 28, height: 28 }
    }
    close(predict(model, [rgba(0), rgba(1), rgba(2)]), reference)
    close(predict(model, rgba(1)), [reference[1]!])
    close(predict(model, { data: image(2), width: 28, height: 28 }), [reference[2]!])
    // tensors: float32 in [0, 1] of several shapes, int32 0..255
    const t4 = tfc.tensor4d(unit, [3, 28, 28, 1])
    const t3 = tfc.tensor3d(unit, [3, 28, 28])
    const t2 = tfc.tensor2d(unit, [3, 784])
    const one = tfc.tensor2d(unit.subarray(0, 784), [28, 28])
    const ints = tfc.tensor4d(Int32Array.from(px), [3, 28, 28, 1], 'int32')
    const before = tfc.memory().numTensors
    close(predict(model, t4), reference)
    close(predict(model, t3), reference)
    close(predict(model, t2), reference)
    close(predict(model, one), [reference[0]!])
    close(predict(model, ints), reference)
    expect(tfc.memory().numTensors).toBe(before)
    tfc.dispose([t4, t3, t2, one, ints])
  })

  it('RGBA alpha multiplies the intensity (transparent = black background)', () => {
    const d = new Uint8ClampedArray(784 * 4)
    image(0).forEach((v, k) => d.set([255, 255, 255, v], k * 4))
    close(predict(model, { data: d, width: 28, height: 28 }), [reference[0]!])
  })

  it('applies the normalisation: option changes the result, null means pre-normalised input', () => {
    const pre = Float32Array.from(px, (v) => (v / 255 - 0.1307) / 0.3081)
    close(predict(model, pre, { normalization: null }), reference)
    const other = predict(model, px, { normalization: { mean: 0.5, std: 0.5 } })
    expect(other.map((p) => p.probabilities[0])).not.toEqual(reference.map((p) => p.probabilities[0]))
    const x = toInputTensor(image(0))
    expect(x.shape).toEqual([1, 28, 28, 1])
    expect(x.dataSync()[0]).toBeCloseTo((image(0)[0]! / 255 - 0.1307) / 0.3081, 5)
    x.dispose()
  })

  it('batches larger inputs (batchSize) with the same result', () => {
    const many = randomPixels(40, 8)
    close(predict(model, many, { batchSize: 7 }), predict(model, many))
  })

  it('predictAsync gives the same result', async () => {
    close(await predictAsync(model, px), reference)
  })

  it('leaks no tensors, also on errors', () => {
    const before = tfc.memory().numTensors
    predict(model, px)
    expect(() => predict(model, new Uint8Array(100))).toThrow(InputShapeError)
    const bad = tfc.fill([1, 784], 255)
    expect(() => predict(model, bad)).toThrow(InputRangeError)
    bad.dispose()
    expect(tfc.memory().numTensors).toBe(before)
  })

  it('wrong sizes and shapes are InputShapeError naming expected and found', () => {
    const shapeErr = (input: unknown, re: RegExp): void => {
      let err: unknown
      try {
        predict(model, input as Uint8Array)
      } catch (e) {
        err = e
      }
      expect(err).toBeInstanceOf(InputShapeError)
      expect((err as Error).message).toMatch(re)
    }
    shapeErr(new Uint8Array(783), /expected 784 values per 28x28 image \(784 \* n\), found 783 values/)
    shapeErr(new Uint8Array(784 * 2 + 5), /found 1573 values \(2\.01 images\)/)
    shapeErr([], /expected at least one image, found an empty array/)
    shapeErr([image(0), new Uint8Array(10)], /image #1: expected 784 pixels \(28x28\), found 10 values/)
    shapeErr(
      { data: new Uint8ClampedArray(27 * 28 * 4), width: 27, height: 28 },
      /ImageData: expected 28x28 \(use preprocessImage\(\) for other sizes\), found 27x28/,
    )
    shapeErr(
      { data: new Uint8ClampedArray(100), width: 28, height: 28 },
      /expected 3136 bytes \(RGBA\) or 784 bytes \(grayscale\), found 100 bytes/,
    )
    const t = tfc.zeros([2, 27, 27])
    shapeErr(t, /expected shape \[28,28\].*found \[2, 27, 27\]/)
    t.dispose()
    shapeErr('pixels', /found string/)
  })

  it('floats outside [0, 1] are InputRangeError with a hint', () => {
    expect(() => predict(model, Float32Array.from(px))).toThrow(
      /expected values in \[0, 1\] \(pixel \/ 255\), found min 0 and max 25\d .*Uint8Array/,
    )
    expect(() => predict(model, new Float32Array(784).fill(-0.4))).toThrow(
      /already normalised\? pass normalization: null/,
    )
    expect(() => predict(model, new Float32Array(784).fill(Number.NaN))).toThrow(/NaN at index 0/)
  })
})
