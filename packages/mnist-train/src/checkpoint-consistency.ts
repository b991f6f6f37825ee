import type { CheckpointState } from './checkpoint-format'

/**
 * What in `s` does not agree with the rest, or undefined: the position, step count, epoch history, running sums and
 * optimiser step follow from each other, so a position moved by hand (skipping steps) or a damaged record shows.
 */
export function checkpointInconsistency(s: CheckpointState): string | undefined {
  const { config, position: p, history, epochProgress } = s
  const batches = Math.ceil(s.trainCount / config?.batchSize)
  if (!Number.isSafeInteger(batches) || s.batchesPerEpoch !== batches) {
    return `batchesPerEpoch ${s.batchesPerEpoch} is not ${s.trainCount} images / batch size ${config?.batchSize}`
  }
  if (s.totalSteps !== batches * config.epochs) return `totalSteps ${s.totalSteps} is not ${batches} x ${config.epochs}`
  if (p.epoch > config.epochs || p.batch >= batches || (p.epoch === config.epochs && p.batch !== 0)) {
    return `position epoch ${p.epoch}, batch ${p.batch} is outside ${config.epochs} epochs of ${batches} batches`
  }
  if (p.step !== p.epoch * batches + p.batch) {
    return `position step ${p.step} is not epoch ${p.epoch} x ${batches} + batch ${p.batch}`
  }
  if (s.optimizer.step !== p.step) return `the optimiser made ${s.optimizer.step} steps, the position says ${p.step}`
  if (!Array.isArray(history) || history.length !== p.epoch || history.some((h, i) => h?.epoch !== i + 1)) {
    const listed = Array.isArray(history) ? history.length : 'no'
    return `the history lists ${listed} epochs, the position says ${p.epoch} done`
  }
  if (epochProgress?.seen !== p.batch * config.batchSize) {
    const seen = epochProgress?.seen
    return `${seen} images counted in the epoch, the position says ${p.batch} batches of ${config.batchSize}`
  }
  if (s.complete !== (p.epoch === config.epochs)) {
    return `complete is ${s.complete} at epoch ${p.epoch} of ${config.epochs}`
  }
  return undefined
}
