import { evaluate } from '@mnist/eval'
import { loadModel } from '@mnist/model'
import { describe, expect, it } from 'vitest'
import { loadMnist } from '@mnist/data'
import { train } from '@mnist/train'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'

// The real thing: one full epoch of default training on real MNIST (60,000 images) on the fastest backend available
// (`auto`), then the saved model must reload and score the same. Slow by nature (minutes).
describe('one epoch of default training on real MNIST', () => {
  it(
    'reaches >= 98.8 % test accuracy and the saved model reloads with the same accuracy',
    async () => {
      // Real MNIST through the product's normal source order (MNIST_DATA_DIR, the cache, the public mirrors).
      const { train: trainSplit, test } = await loadMnist()
      const out = await mkdtemp(path.join(tmpdir(), 'mnist-one-epoch-'))
      const result = await train({ backend: 'auto', data: { train: trainSplit, test }, outDir: out })
      // Visible in the test log: the measured time and accuracy.
      console.info(
        `one epoch on ${result.backend} (${result.device}): test accuracy ${(result.testAccuracy! * 100).toFixed(2)} %, ` +
          `${result.trainSeconds.toFixed(1)} s training, ${result.seconds.toFixed(1)} s in all, ${result.imagesPerSecond.toFixed(0)} images/s`,
      )
      expect(result.epochsCompleted).toBe(1)
      expect(result.params).toBeLessThan(25_000)
      expect(result.testAccuracy).toBeGreaterThanOrEqual(0.988)

      const { model, metadata } = await loadModel(result.modelDir!)
      try {
        expect(metadata?.testAccuracy).toBe(result.testAccuracy)
        const again = await evaluate(model, test, { normalization: metadata!.normalization, batchSize: 1000 })
        expect(again.accuracy).toBe(result.testAccuracy)
      } finally {
        model.dispose()
      }
    },
    20 * 60_000,
  )
})
