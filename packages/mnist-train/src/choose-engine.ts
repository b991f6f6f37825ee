import type { LayersModel } from '@tensorflow/tfjs-layers'
import { getModelConfig } from '@mnist/model'
import type { AdamW } from './adamw'
import { activeSimdBackend, FusedStepEngine } from './fused-engine'
import type { StepEngine } from './step-engine'
import { TfjsStepEngine, type BatchShape } from './tfjs-engine'

export interface EngineChoiceInput {
  model: LayersModel
  /** Restored already when resuming: the engine starts from its state. */
  optimizer: AdamW
  batchSize: number
  labelSmoothing: number
  shape: BatchShape
  /** `TrainOptions.fusedStep` (default true). */
  fusedStep: boolean | undefined
}

export interface EngineChoice {
  engine: StepEngine
  /** Why the tfjs step runs where the fused one could have (`TrainStartInfo.stepEngineReason`). */
  reason: string | undefined
}

/**
 * The fastest engine that can train the model: the fused step when the active backend runs it and its trainer
 * accepts the network the model was built from, else the tfjs step (with the reason when the backend could have run
 * the fused one). The engine owns `optimizer` from here on.
 */
export function chooseStepEngine(input: EngineChoiceInput): EngineChoice {
  const tfjs = (reason: string | undefined): EngineChoice => ({
    engine: new TfjsStepEngine(input.model, input.optimizer, input.shape, input.labelSmoothing),
    reason,
  })
  const backend = activeSimdBackend()
  if (backend === undefined) return tfjs(undefined)
  if (input.fusedStep === false) return tfjs('fusedStep: false')
  // createModel (and loadModel, from the metadata) remember the declarative config the model was built from.
  const spec = getModelConfig(input.model)
  if (spec === undefined) return tfjs('the model has no @mnist/model config to build the fused network from')
  const fused = FusedStepEngine.create({ ...input, backend, spec })
  return 'engine' in fused ? { engine: fused.engine, reason: undefined } : tfjs(fused.reason)
}
