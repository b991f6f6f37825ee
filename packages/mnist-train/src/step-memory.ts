import { planLayers, resolveConfig } from '@mnist/model'
import type { TrainConfig } from './config'
import { InvalidTrainConfigError } from './errors'

/**
 * The most memory a step's activations may need, estimated before anything is allocated: an absurd batch size is a
 * one-line error at once, not minutes of swapping or a crash deep inside a backend (stock wasm does not check its
 * allocations). 1 GiB allows batches of about 2,000 images for the default network.
 */
export const MAX_STEP_ACTIVATION_BYTES = 2 ** 30

/** Float32 activations of one image through the whole network (every layer's output). */
function activationBytesPerImage(config: TrainConfig): number {
  const plan = planLayers(resolveConfig(config.model))
  return 4 * plan.reduce((sum, layer) => sum + layer.outputShape.reduce((a, b) => a * b, 1), 0)
}

/**
 * Refuses `batchSize` / `evalBatchSize` whose activations would not fit `MAX_STEP_ACTIVATION_BYTES`: a training step
 * holds the activations, their gradients and about as much again in workspace (x3); evaluation only the forward pass.
 */
export function checkStepMemory(config: TrainConfig): void {
  const perImage = activationBytesPerImage(config)
  const limit = (factor: number): number => Math.max(1, Math.floor(MAX_STEP_ACTIVATION_BYTES / (perImage * factor)))
  const check = (option: 'batchSize' | 'evalBatchSize', value: number, factor: number): void => {
    const max = limit(factor)
    if (value > max) {
      const mb = ((perImage * factor * value) / 2 ** 20).toFixed(0)
      throw new InvalidTrainConfigError(
        option,
        `at most ${max} images for this network (a step of ${value} would need about ${mb} MiB of activations)`,
        value,
      )
    }
  }
  check('batchSize', config.batchSize, 3)
  check('evalBatchSize', config.evalBatchSize, 1)
}
