import type { LayersModel } from '@tensorflow/tfjs-layers'
import type { ModelMetadata } from '@mnist/model'
import type { AdamWState } from './adamw'
import type { CheckpointState, LoadedCheckpoint } from './checkpoint-format'

// Where a run's checkpoints go and where a resumed run's come from: a folder in Node (the default), memory or
// IndexedDB in a browser, or anything else that implements these two methods.

/** One checkpoint as the trainer hands it to a store. */
export interface CheckpointToSave {
  /** The model as trained so far (the store serialises it now: the trainer goes on changing its weights). */
  model: LayersModel
  /** @mnist/model's metadata block for the model (`createMetadata`). */
  metadata: ModelMetadata
  /** What `training.json` holds: position, history, config, data counts, backend, ... */
  state: CheckpointState
  /** Adam's moments and step count. */
  optimizer: AdamWState
}

/** One checkpoint as a store gives it back for a resume. */
export interface StoredCheckpoint extends LoadedCheckpoint {
  /** The checkpoint's model, created on the active backend (the trainer calls it after selecting the backend). */
  loadModel(): Promise<LayersModel>
}

/**
 * Holds a run's checkpoint: `train({ checkpoints: store })` saves into it at the end of each epoch and on abort, and
 * `train({ resume: store })` continues from the checkpoint it holds. A store keeps one checkpoint: the last saved.
 */
export interface CheckpointStore {
  /** Where it keeps the checkpoint, for results and messages (`TrainStartInfo.runDir`, `CheckpointError.path`). */
  readonly location: string
  /**
   * Keeps `checkpoint` in place of the previous one, whole: a failure (or a closed tab) leaves the previous one as it
   * was, never a mix of the two.
   */
  save(checkpoint: CheckpointToSave): Promise<void>
  /** The checkpoint saved last; undefined when the store holds none. */
  load(): Promise<StoredCheckpoint | undefined>
}
