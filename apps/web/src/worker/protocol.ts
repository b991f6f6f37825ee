// Messages between the page and the training worker.
import type { TrainProgress } from '@mnist/train'
import type { EngineInfo } from '../lib/backend'
import type { ModelArtifacts } from '../lib/model-transfer'

export interface TrainRequest {
  type: 'train'
  /** Base URL of the four MNIST .gz files. */
  dataUrl: string
  /** Training images used (the first n). */
  trainLimit: number
  /** Test images evaluated (the first n). */
  testLimit: number
  epochs: number
}

export type ToWorker = TrainRequest | { type: 'stop' }

export type ProgressMessage = { type: 'progress' } & TrainProgress

export type FromWorker =
  | { type: 'engine'; info: EngineInfo }
  | { type: 'data'; loadedBytes: number; totalBytes: number }
  | { type: 'start'; trainImages: number; testImages: number; totalSteps: number }
  | ProgressMessage
  | { type: 'evaluating' }
  | {
      type: 'done'
      interrupted: boolean
      testAccuracy: number
      confusion: number[][]
      seconds: number
      model: ModelArtifacts
    }
  /** Stopped before the first training step: no model. */
  | { type: 'stopped' }
  | { type: 'error'; message: string }
