// The Node side of the epoch bench: one epoch of default training with @mnist/train's Node train() (same seed, same
// config, the fused step on simd, the same threads as the page), then one JSON line with what train() reports and the
// SHA-256 of the trained weights (same bytes and order as weights-hash.ts). Spawned once per seed by run.mjs.
// `MNIST_DATA_DIR=/path/to/mnist node bench/node-epoch.mjs <seed> <threads>`
import { createHash } from 'node:crypto'
import { train } from '@mnist/train'
import { simdFeatures } from '@mnist/backend-simd'

const seed = Number(process.argv[2] ?? 1)
const threads = Number(process.argv[3] ?? 2)
const result = await train({ config: { seed }, backend: 'simd', threads, save: false, keepModel: true })
const hash = createHash('sha256')
for (const w of result.model.getWeights()) {
  const data = w.dataSync()
  hash.update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
}
result.model.dispose()
console.log(
  JSON.stringify({
    seed,
    backend: result.backend,
    build: simdFeatures().build,
    device: result.device,
    threads,
    stepEngine: result.stepEngine,
    trainSeconds: result.trainSeconds,
    testAccuracy: result.testAccuracy,
    weightsSha256: hash.digest('hex'),
  }),
)
process.exit(0)
