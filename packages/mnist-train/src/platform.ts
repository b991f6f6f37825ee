import type { CheckpointStore } from './checkpoint-store'
import type { TrainOptions } from './options'
import type { SplitsLoader } from './run-data'

// What `train()` needs from its runtime beyond the training loop itself: the Node entry's is node-platform.ts (data
// from loadMnist, run folders on disk), the browser entry's browser-platform.ts (in-memory data and stores only).

/** A store a run saves its checkpoints into, and what to do with it after the run. */
export interface RunStore {
  store: CheckpointStore
  /** Called once the run has ended; `saved`: whether it saved a checkpoint (an unused run folder is removed). */
  close(saved: boolean): Promise<void>
}

export interface TrainPlatform {
  /** The store of a checkpoint folder given as `resume: '<path>'`, and its name in the checkpoints the run writes. */
  folderStore(dir: string): { store: CheckpointStore; recordedAs: string }
  /** Loads the splits when `options.data` does not give them. */
  loadSplits: SplitsLoader
  /** Where a new run saves when `options.checkpoints` does not say (Node: a new run folder); undefined: nowhere. */
  runStore(options: TrainOptions, backend: string): Promise<RunStore | undefined>
}
