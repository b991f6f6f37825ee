import * as tfc from '@tensorflow/tfjs-core'
import { bench, describe } from 'vitest'
import { randomPixels } from '../test/helpers'
import { createModel } from '../src/model'
import { predict } from '../src/predict'
import { preprocessImage } from '../src/preprocess'

// Inference throughput of the default model on the backend the setup file selects (cpu).
const model = createModel({ seed: 1 })
const batch = randomPixels(64, 3)
const photo = {
  data: new Uint8Array(640 * 480).fill(230).fill(10, 100_000, 140_000),
  width: 640,
  height: 480,
  channels: 1 as const,
}

describe(`default model on ${tfc.getBackend()}`, () => {
  bench(
    'predict 64 images (uint8)',
    () => {
      predict(model, batch)
    },
    { time: 1000, iterations: 3 },
  )
  bench('createModel (seeded)', () => {
    createModel({ seed: 2 }).dispose()
  })
  bench('preprocessImage 640x480', () => {
    preprocessImage(photo)
  })
})
