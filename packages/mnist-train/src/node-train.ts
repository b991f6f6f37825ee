import { nodePlatform } from './node-platform'
import type { TrainOptions, TrainResult } from './options'
import { runTraining } from './train-core'

/**
 * Train (or resume) the @mnist/model CNN in Node: select the backend, create the run folder, load the data, run the
 * one-cycle AdamW loop with the test-set evaluation after each epoch, checkpoint each epoch (and on abort), return
 * the metrics. Deterministic: the same config, seed and backend give bit-identical weights on the same machine, also
 * across an interrupt + resume (which continues on the backend and step engine the checkpoint recorded).
 */
export function train(options: TrainOptions = {}): Promise<TrainResult> {
  return runTraining(options, nodePlatform)
}
