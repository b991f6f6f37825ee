// Bit-identity check of train() end to end (not part of the test suite): trains a small fixed run per engine and
// prints a SHA-256 of the final weights, the history's losses and accuracies. Run before and after a change to the
// training path, on the same machine:  MNIST_DATA_DIR=... node bench/train-hash.mjs
import { createHash } from 'node:crypto'
import { train } from '@mnist/train'

for (const [backend, fusedStep] of [
  ['simd', true],
  ['simd', false],
  ['cpu', false],
]) {
  const r = await train({
    backend,
    fusedStep,
    save: false,
    keepModel: true,
    limit: 1024,
    testLimit: 500,
    config: { epochs: 2, batchSize: 64 },
    dataDir: process.env.MNIST_DATA_DIR,
  })
  const h = createHash('sha256')
  for (const w of r.model.weights) h.update(Buffer.from((await w.read().data()).buffer))
  h.update(JSON.stringify(r.history.map((e) => [e.trainLoss, e.trainAccuracy, e.testLoss, e.testAccuracy])))
  console.log(backend, r.stepEngine, h.digest('hex').slice(0, 16), r.testAccuracy)
  r.model.dispose()
}
