import * as tfc from '@tensorflow/tfjs-core'
import type { LayersModel } from '@tensorflow/tfjs-layers'

/** Deterministic pseudo-random 0..255 pixels for `n` images. */
export function randomPixels(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(784 * n)
  let s = seed >>> 0 || 1
  for (let i = 0; i < out.length; i++) {
    s ^= s << 13
    s ^= s >>> 17
    s ^= s << 5
    out[i] = (s >>> 0) % 256
  }
  return out
}

/** Logits of the model on `pixels` (0..255), normalised like predict() does, as plain numbers. */
export function logits(model: LayersModel, pixels: Uint8Array): Float32Array {
  const n = pixels.length / 784
  return tfc.tidy(() => {
    const x = tfc.div(tfc.sub(tfc.div(tfc.tensor4d(pixels, [n, 28, 28, 1], 'float32'), 255), 0.1307), 0.3081)
    return (model.predict(x) as tfc.Tensor).dataSync() as Float32Array
  })
}

export function weightsOf(model: LayersModel): Float32Array[] {
  return model.getWeights().map((w) => w.dataSync() as Float32Array)
}
