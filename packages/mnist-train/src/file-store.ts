import type { LayersModel } from '@tensorflow/tfjs-layers'
import { loadModel } from '@mnist/model'
import { readCheckpoint } from './checkpoint'
import { writeCheckpoint } from './checkpoint-commit'
import type { CheckpointStore, CheckpointToSave, StoredCheckpoint } from './checkpoint-store'

/**
 * Node: a checkpoint folder (model.json, weights.bin, metadata.json, optimizer.bin, training.json), written by the
 * crash-safe commit protocol of checkpoint-commit.ts and read back checked by `readCheckpoint`. `load` throws
 * `CheckpointError` (naming what is missing or damaged) rather than returning undefined.
 */
export class FileCheckpointStore implements CheckpointStore {
  constructor(readonly location: string) {}

  save(checkpoint: CheckpointToSave): Promise<void> {
    return writeCheckpoint(this.location, checkpoint)
  }

  async load(): Promise<StoredCheckpoint> {
    const loaded = await readCheckpoint(this.location)
    const dir = this.location
    return { ...loaded, loadModel: async (): Promise<LayersModel> => (await loadModel(dir)).model }
  }
}
