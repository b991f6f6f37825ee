import path from 'node:path'
import { describeModelConfig } from '@mnist/model'
import type { EpochSummary, TrainConfig, TrainResult, TrainStartInfo } from '@mnist/train'

// What `mnist train` prints: the header, one line per epoch, and the result (human lines and the --json object).

export type Say = (line?: string) => void
/** Writes the --json result line to stdout (nothing once stdout is closed). */
export type Emit = (line: string) => void

export function header(info: TrainStartInfo, say: Say, warn: Say): void {
  const c = info.config
  say(`backend: ${info.backend} (${info.device})`)
  for (const s of info.skipped) say(`  skipped ${s.backend}: ${s.reason}`)
  if (info.stepEngine === 'fused') say('step: fused (one WebAssembly pass per layer, forward and backward)')
  else if (info.stepEngineReason) say(`step: tfjs ops (the fused step is off: ${info.stepEngineReason})`)
  say(`model: ${info.params.toLocaleString('en-US')} parameters, budget OK (< ${info.budget.toLocaleString('en-US')})`)
  say(`architecture: ${describeModelConfig(c.model)}`)
  const evaluated =
    info.evaluation === 'validation' ? 'validation images (the last of the training set)' : 'test images'
  say(
    `data: ${info.dataset}, ${info.trainImages.toLocaleString('en-US')} training / ${info.testImages.toLocaleString('en-US')} ${evaluated} (${info.dataSource})`,
  )
  say(
    `training: ${c.epochs} epoch${c.epochs === 1 ? '' : 's'} x ${info.batchesPerEpoch} steps, batch ${c.batchSize}, ` +
      `AdamW (weight decay ${c.weightDecay}), one-cycle lr ${c.maxLr} (warm-up ${c.pctStart * 100} %), ` +
      `${c.labelSmoothing ? `label smoothing ${c.labelSmoothing}, ` : ''}${augmentationText(c.augment, c.augmentation)}, seed ${c.seed}`,
  )
  if (info.resumedFrom) say(`resuming ${info.resumedFrom} at step ${info.position.step}/${info.totalSteps}`)
  for (const w of info.warnings ?? []) warn(`warning: ${w}`)
  if (info.runDir) say(`checkpoints: ${absolute(info.runDir)}`)
}

function augmentationText(augment: boolean, a: TrainConfig['augmentation']): string {
  if (!augment) return 'no augmentation'
  return a.noise > 0
    ? `augmentation (pixel noise on ${a.noise * 100} % of images: sigma <= ${a.noiseSigma}, ` +
        `salt-and-pepper <= ${a.noiseSaltPepper * 100} %)`
    : 'augmentation'
}

export function epochLine(s: EpochSummary, epochs: number, evaluation: 'test' | 'validation' = 'test'): string {
  const on = evaluation === 'validation' ? 'val' : 'test'
  return (
    `epoch ${s.epoch}/${epochs}: train loss ${s.trainLoss.toFixed(4)}, train acc ${(s.trainAccuracy * 100).toFixed(2)} %, ` +
    `${on} loss ${s.testLoss.toFixed(4)}, ${on} acc ${(s.testAccuracy * 100).toFixed(2)} % ` +
    `(${s.trainSeconds.toFixed(1)} s + ${s.evalSeconds.toFixed(1)} s eval)`
  )
}

/** After a Ctrl-C (or another stop): where the checkpoint is and how to resume; with --json, one object on stdout. */
export function printInterrupted(result: TrainResult, json: boolean, say: Say, emit: Emit): void {
  say(`stopped at step ${result.step}/${result.totalSteps} (epoch ${result.epochsCompleted + 1}/${result.epochs})`)
  if (result.checkpointDir) {
    say(`checkpoint: ${absolute(result.checkpointDir)}`)
    say(`resume with: mnist train --resume ${quote(absolute(result.checkpointDir))}`)
  }
  if (json) {
    const { step, totalSteps } = result
    const checkpointDir = result.checkpointDir ?? null
    emit(`${JSON.stringify({ interrupted: true, step, totalSteps, checkpointDir })}\n`)
  }
}

/** After a finished run: accuracy, time and where the model is; with --json, one object on stdout (the last line). */
export function printResult(
  result: TrainResult,
  json: boolean,
  say: Say,
  emit: Emit,
  evaluation: 'test' | 'validation' = 'test',
): void {
  const pct = (x: number | undefined): string => (x === undefined ? '-' : `${(x * 100).toFixed(2)} %`)
  say()
  say(
    `${evaluation} accuracy ${pct(result.testAccuracy)} (train ${pct(result.trainAccuracy)}, loss ${result.trainLoss.toFixed(4)})`,
  )
  say(
    `${result.epochs} epoch${result.epochs === 1 ? '' : 's'} on ${result.backend}: ${result.seconds.toFixed(1)} s ` +
      `(${result.trainSeconds.toFixed(1)} s training, ${Math.round(result.imagesPerSecond).toLocaleString('en-US')} images/s)`,
  )
  // Absolute: under `pnpm turbo train` the process runs in apps/cli, not where the user typed the command.
  if (result.modelDir) say(`saved to ${absolute(result.modelDir)}`)
  if (!json) return
  emit(
    `${JSON.stringify({
      // With --validation the accuracy is on held-out training images, not on the test set.
      ...(evaluation === 'validation'
        ? { validationAccuracy: result.testAccuracy ?? null }
        : { testAccuracy: result.testAccuracy ?? null }),
      trainAccuracy: result.trainAccuracy,
      loss: result.trainLoss,
      params: result.params,
      epochs: result.epochs,
      backend: result.backend,
      seconds: round(result.seconds, 3),
      imagesPerSecond: round(result.imagesPerSecond, 1),
      modelDir: result.modelDir ?? null,
    })}\n`,
  )
}

/** A path the user can paste anywhere: relative paths are resolved against this process's folder. */
export function absolute(p: string): string {
  return path.resolve(p)
}

function round(x: number, digits: number): number {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

export function quote(p: string): string {
  return /^[\w@%+=:,./-]+$/.test(p) ? p : `'${p.replace(/'/g, `'\\''`)}'`
}
