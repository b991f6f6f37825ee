import { InvalidTrainConfigError } from './errors'
import type { TrainPlatform } from './platform'

/**
 * Browsers and Web Workers: no file system and no `loadMnist` here. The data comes in `options.data` (e.g. from
 * @mnist/data's browser loader), checkpoints go to the `checkpoints` store (none: nothing is saved) and a resume
 * names a store.
 */
export const browserPlatform: TrainPlatform = {
  folderStore: (dir) => {
    throw new InvalidTrainConfigError('resume', 'a CheckpointStore (a checkpoint folder needs Node)', dir)
  },
  loadSplits: () =>
    Promise.reject(
      new InvalidTrainConfigError('data', 'the training and test splits in memory ({ train, test })', undefined),
    ),
  runStore: () => Promise.resolve(undefined),
}
