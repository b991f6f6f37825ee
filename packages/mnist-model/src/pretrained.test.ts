import * as tf from '@tensorflow/tfjs'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { logits, randomPixels } from '../test/helpers'
import { DEFAULT_MODEL_CONFIG } from './config'
import { countParams } from './model'
import { loadPretrained } from './pretrained'

const PRETRAINED = fileURLToPath(new URL('../pretrained/', import.meta.url))

describe('loadPretrained', () => {
  // The weights in pretrained/ are a five-epoch run of `mnist train --epochs 5 --seed 2` (otherwise the defaults);
  // @mnist/eval's tests measure their accuracy on the real test set.
  it('loads the shipped weights: the default architecture, with its training metadata', async () => {
    const { model, metadata } = await loadPretrained()
    expect(countParams(model)).toBe(21_778)
    expect(metadata?.params).toBe(countParams(model))
    expect(metadata?.dataset).toBe('mnist')
    expect(metadata?.epochs).toBe(5)
    expect(metadata?.testAccuracy).toBeGreaterThanOrEqual(0.993)
    expect(metadata?.modelConfig.layers).toEqual(DEFAULT_MODEL_CONFIG.layers)
    expect(metadata?.normalization).toEqual({ mean: 0.1307, std: 0.3081 })
    model.dispose()
  })

  it('stock @tensorflow/tfjs loads the shipped files and predicts exactly what loadPretrained() does', async () => {
    const { model } = await loadPretrained()
    const json = JSON.parse(await readFile(`${PRETRAINED}model.json`, 'utf8'))
    const bin = await readFile(`${PRETRAINED}weights.bin`)
    const stock = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest[0].weights,
        weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
      }),
    )
    const pixels = randomPixels(4, 15)
    const x = tf.tidy(() => tf.div(tf.sub(tf.div(tf.tensor4d(pixels, [4, 28, 28, 1], 'float32'), 255), 0.1307), 0.3081))
    const stockOut = tf.tidy(() => Array.from((stock.predict(x) as tf.Tensor).dataSync()))
    x.dispose()
    expect(stockOut).toEqual(Array.from(logits(model, pixels)))
    stock.dispose()
    model.dispose()
  })
})
