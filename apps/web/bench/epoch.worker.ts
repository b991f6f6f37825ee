// One epoch of default training in a Web Worker: the app's engine start and data loading, then @mnist/train's browser
// train() with the given seed (fused step on simd). Posts what train() reports and a hash of the trained weights.
import { train } from '@mnist/train'
import { startEngine } from '../src/lib/backend'
import { loadMnistFrom } from '../src/lib/mnist-data'
import type { EpochRequest, FromEpochWorker } from './protocol'
import { weightsSha256 } from './weights-hash'

const post = (m: FromEpochWorker): void => self.postMessage(m)

self.onmessage = (e: MessageEvent<EpochRequest>) => {
  void run(e.data).catch((err: unknown) =>
    post({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
  )
}

async function run(req: EpochRequest): Promise<void> {
  const engine = await startEngine(req.threads, 'bench')
  const t = performance.now()
  const data = await loadMnistFrom(req.dataUrl)
  const dataSeconds = (performance.now() - t) / 1000
  const result = await train({
    data: { train: data.train, test: data.test },
    config: { seed: req.seed },
    backend: 'simd',
    threads: req.threads,
    save: false,
    keepModel: true,
  })
  const model = result.model!
  const hash = await weightsSha256(model.getWeights().map((w) => w.dataSync() as Float32Array))
  model.dispose()
  post({
    type: 'done',
    result: {
      seed: req.seed,
      crossOriginIsolated: globalThis.crossOriginIsolated,
      backend: result.backend,
      build: engine.build,
      threads: engine.threads,
      stepEngine: result.stepEngine,
      trainSeconds: result.trainSeconds,
      testAccuracy: result.testAccuracy ?? Number.NaN,
      weightsSha256: hash,
      dataSeconds,
    },
  })
}
