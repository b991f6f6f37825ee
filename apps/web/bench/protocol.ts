// Messages between the bench page and its epoch worker.

export interface EpochRequest {
  /** Base URL of the four MNIST .gz files. */
  dataUrl: string
  seed: number
  threads: number
}

export interface EpochResult {
  seed: number
  crossOriginIsolated: boolean
  backend: string
  build: string | undefined
  threads: number
  stepEngine: string
  /** What train() reports: seconds of training steps only (no data loading, no evaluation). */
  trainSeconds: number
  testAccuracy: number
  /** SHA-256 (hex) of the trained weights, in model.getWeights() order. */
  weightsSha256: string
  /** Seconds to fetch, gunzip and check the four files (not part of trainSeconds). */
  dataSeconds: number
}

export type FromEpochWorker = { type: 'done'; result: EpochResult } | { type: 'error'; message: string }
