// The training worker: loads MNIST, trains with the fused step on its own simd backend, evaluates, and posts the
// trained model's files back. The page stays responsive, and the stop button aborts between steps.
import { DownloadError } from '@mnist/data'
import { TrainAbortedError } from '@mnist/train'
import { availableThreads, startEngine, threadsReason } from '../lib/backend'
import { testModel } from '../lib/evaluate'
import { loadMnistFrom } from '../lib/mnist-data'
import { toArtifacts } from '../lib/model-transfer'
import type { FromWorker, ToWorker, TrainRequest } from './protocol'
import { runTraining } from './train-run'

const post = (m: FromWorker, transfer: Transferable[] = []): void => self.postMessage(m, { transfer })
let stop: AbortController | undefined

self.onmessage = (e: MessageEvent<ToWorker>) => {
  if (e.data.type === 'stop') stop?.abort()
  else void run(e.data).catch((err: unknown) => post(failure(err)))
}

// Stop pressed before the first training step (during the download, or while train() sets up) is a stop, not a
// failure: the library reports it with its own abort errors.
function failure(err: unknown): FromWorker {
  if (err instanceof TrainAbortedError || (err instanceof DownloadError && err.code === 'DATA_DOWNLOAD_ABORTED'))
    return { type: 'stopped' }
  return { type: 'error', message: err instanceof Error ? err.message : String(err) }
}

async function run(req: TrainRequest): Promise<void> {
  stop = new AbortController()
  const threads = availableThreads()
  const engine = await startEngine(threads, threadsReason())
  post({ type: 'engine', info: engine })
  const data = await loadMnistFrom(req.dataUrl, {
    signal: stop.signal,
    onProgress: (p) => post({ type: 'data', ...p }),
  })
  const testImages = Math.min(req.testLimit, data.test.count)
  const result = await runTraining({
    data,
    limit: req.trainLimit,
    testLimit: testImages,
    epochs: req.epochs,
    threads: engine.threads,
    signal: stop.signal,
    onStart: (info) => {
      const step =
        info.stepEngine === 'fused' ? 'fused (one WebAssembly pass per layer)' : `tfjs ops (${info.stepEngineReason})`
      post({ type: 'engine', info: { ...engine, why: [...engine.why, `training step: ${step}`] } })
      post({ type: 'start', trainImages: info.trainImages, testImages, totalSteps: info.totalSteps })
    },
    onProgress: (p) => post({ type: 'progress', ...p }),
  })
  post({ type: 'evaluating' })
  const test = await testModel(result.model, data.test, testImages)
  const model = await toArtifacts(result.model)
  result.model.dispose()
  post(
    {
      type: 'done',
      interrupted: result.interrupted,
      testAccuracy: test.accuracy,
      confusion: test.confusion,
      seconds: result.seconds,
      model,
    },
    [model.weights],
  )
}
