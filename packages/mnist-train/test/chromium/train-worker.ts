// Runs in a Web Worker of the Chromium test (bundled by esbuild from the browser entry): trains on the posted subset
// with the fused step, once uninterrupted and once stopped by an AbortSignal and resumed from IndexedDB, and posts
// back what the test checks.
import type { LayersModel } from '@tensorflow/tfjs-layers'
import type { MnistSplit } from '@mnist/data'
import { IndexedDbCheckpointStore, train, type TrainOptions } from '../../src/browser'

interface Job {
  train: MnistSplit
  test: MnistSplit
  abortAt: number
}

const scope = self as unknown as { onmessage: (e: MessageEvent<Job>) => void; postMessage(m: unknown): void }

/** FNV-1a over every weight's bytes: equal hashes mean bit-identical weights. */
function weightsHash(model: LayersModel): string {
  let h = 0x811c9dc5
  for (const w of model.getWeights()) {
    const bytes = new Uint8Array((w.dataSync() as Float32Array).slice().buffer)
    for (const b of bytes) h = Math.imul(h ^ b, 0x01000193)
  }
  return (h >>> 0).toString(16)
}

async function run(job: Job): Promise<unknown> {
  const base: TrainOptions = {
    backend: 'simd',
    threads: 2,
    data: { train: job.train, test: job.test },
    config: { epochs: 2, seed: 3 },
  }
  let start: { stepEngine: string; device: string } | undefined
  const whole = await train({ ...base, keepModel: true, onStart: (i) => (start = i) })
  const wholeHash = weightsHash(whole.model!)
  whole.model!.dispose()

  const store = new IndexedDbCheckpointStore('chromium-test')
  await store.clear()
  const controller = new AbortController()
  const first = await train({
    ...base,
    checkpoints: store,
    signal: controller.signal,
    onProgress: (p) => p.step === job.abortAt && controller.abort(),
  })
  let resumedAt: unknown
  const resumed = await train({
    data: base.data,
    checkpoints: store,
    resume: store,
    keepModel: true,
    onStart: (i) => (resumedAt = i.position),
  })
  const resumedHash = weightsHash(resumed.model!)
  resumed.model!.dispose()
  return {
    crossOriginIsolated: (self as unknown as { crossOriginIsolated: boolean }).crossOriginIsolated,
    stepEngine: start?.stepEngine,
    device: start?.device,
    testAccuracy: whole.testAccuracy,
    trainSeconds: whole.trainSeconds,
    steps: whole.step,
    interrupted: first.interrupted,
    interruptedDir: first.checkpointDir,
    resumedAt,
    resumedAccuracy: resumed.testAccuracy,
    sameWeights: wholeHash === resumedHash,
  }
}

scope.onmessage = (e) => {
  run(e.data).then(
    (result) => scope.postMessage(result),
    (error: unknown) => scope.postMessage({ error: error instanceof Error ? (error.stack ?? error.message) : error }),
  )
}
