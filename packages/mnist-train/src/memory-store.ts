import { loadModel, modelToArtifacts, type ModelFiles } from '@mnist/model'
import type { AdamWState } from './adamw'
import type { CheckpointState } from './checkpoint-format'
import type { CheckpointStore, CheckpointToSave, StoredCheckpoint } from './checkpoint-store'

interface Held {
  files: ModelFiles
  state: CheckpointState
  optimizer: AdamWState
}

/**
 * Keeps the last checkpoint in memory (the model serialised as its model.json + weights, the optimiser state copied):
 * for a page that resumes a stopped run without reloading, a Web Worker, or tests. Gone with the page or process.
 */
export class MemoryCheckpointStore implements CheckpointStore {
  private held: Held | undefined

  constructor(readonly location = 'memory') {}

  async save(checkpoint: CheckpointToSave): Promise<void> {
    // Everything is copied before it is kept: a failure leaves the previous checkpoint, and later steps change nothing.
    const files = await modelToArtifacts(checkpoint.model, checkpoint.metadata)
    this.held = { files, state: structuredClone(checkpoint.state), optimizer: copyOptimizer(checkpoint.optimizer) }
  }

  async load(): Promise<StoredCheckpoint | undefined> {
    const held = this.held
    if (held === undefined) return undefined
    const { modelJson, weights } = held.files
    return {
      state: structuredClone(held.state),
      optimizer: copyOptimizer(held.optimizer),
      loadModel: async () => (await loadModel({ modelJson, weights: weights.slice(0) })).model,
    }
  }

  /** Whether it holds a checkpoint. */
  get empty(): boolean {
    return this.held === undefined
  }

  /** Forgets the checkpoint. */
  clear(): void {
    this.held = undefined
  }
}

export function copyOptimizer(state: AdamWState): AdamWState {
  return {
    step: state.step,
    slots: state.slots.map((s) => ({ name: s.name, shape: [...s.shape], m: s.m.slice(), v: s.v.slice() })),
  }
}
