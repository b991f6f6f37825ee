import { browserPlatform } from './browser-platform'
import type { TrainOptions, TrainResult } from './options'
import { runTraining } from './train-core'

/**
 * Train (or resume) the @mnist/model CNN in a page or a Web Worker: the same loop, step engines and results as in
 * Node, on data given in `options.data`, saving checkpoints to the `checkpoints` store (memory, IndexedDB) when given
 * one and resuming from the `resume` store. Options that need Node (`dataDir`, `outDir`, a `resume` folder, ...) are
 * refused or have no effect.
 */
export function train(options: TrainOptions): Promise<TrainResult> {
  return runTraining(options, browserPlatform)
}
