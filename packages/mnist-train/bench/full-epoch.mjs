// One full epoch of default training (60,000 images, default settings, real MNIST) in this process, then one JSON
// line: training seconds, test accuracy and this process's peak RSS. Spawned by train-step.mjs so that the RSS is
// the training run's own. `node bench/full-epoch.mjs [backend] [fused|tfjs]`.
import { train } from '../dist/index.js'

const backend = process.argv[2] ?? 'simd'
const result = await train({ backend, fusedStep: process.argv[3] !== 'tfjs', save: false })
console.log(
  JSON.stringify({
    backend: result.backend,
    stepEngine: result.stepEngine,
    device: result.device,
    trainSeconds: result.trainSeconds,
    testAccuracy: result.testAccuracy,
    maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  }),
)
process.exit(0)
