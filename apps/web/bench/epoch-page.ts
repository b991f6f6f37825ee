// The epoch bench's page: each call trains one epoch in a fresh module Web Worker (as the app does), so that every
// seed starts from the same state, like the Node side's fresh process.
import type { EpochRequest, EpochResult, FromEpochWorker } from './protocol'

function benchEpoch(seed: number, threads: number, dataUrl = '/mnist/'): Promise<EpochResult> {
  const worker = new Worker(new URL('./epoch.worker.ts', import.meta.url), { type: 'module' })
  return new Promise<EpochResult>((resolve, reject) => {
    worker.onmessage = (e: MessageEvent<FromEpochWorker>) => {
      if (e.data.type === 'done') resolve(e.data.result)
      else reject(new TypeError(e.data.message))
    }
    worker.onerror = (e) => reject(new TypeError(`epoch worker failed: ${e.message}`))
    worker.postMessage({ dataUrl, seed, threads } satisfies EpochRequest)
  }).finally(() => worker.terminate())
}

declare global {
  interface Window {
    benchEpoch: typeof benchEpoch
  }
}
window.benchEpoch = benchEpoch
document.body.dataset.ready = 'true'
