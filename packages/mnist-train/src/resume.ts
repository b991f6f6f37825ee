import type { LoadedCheckpoint } from './checkpoint-format'
import type { CheckpointStore, StoredCheckpoint } from './checkpoint-store'
import { DEFAULT_AUGMENTATION } from './augment'
import { resolveTrainConfig, type TrainConfig, type TrainConfigInput } from './config'
import { describeModelConfig, sameModelConfig, type ModelConfig } from '@mnist/model'
import { CheckpointError, InvalidTrainConfigError, ResumeModelMismatchError } from './errors'
import type { BackendRequest } from '@mnist/backends'
import type { StepEngineName, TrainOptions } from './options'
import type { TrainPlatform } from './platform'
import { presetConfig } from './presets'

/** The checkpoint a run continues. */
export interface ResumePoint {
  checkpoint: StoredCheckpoint
  /** As given: the folder path, or the store's location (reported, and named in errors). */
  name: string
  /** As the checkpoints of the resumed run record it (`training.json`'s `resumedFrom`). */
  recordedAs: string
}

/** The checkpoint to continue (undefined for a fresh run); a complete run cannot be resumed. */
export async function openResume(
  resume: string | CheckpointStore | undefined,
  platform: TrainPlatform,
): Promise<ResumePoint | undefined> {
  if (resume === undefined) return undefined
  const { store, recordedAs } = typeof resume === 'string' ? platform.folderStore(resume) : { store: resume }
  const name = typeof resume === 'string' ? resume : store.location
  const checkpoint = await store.load()
  if (checkpoint === undefined) throw new CheckpointError(name, 'holds no checkpoint to resume from')
  if (checkpoint.state.complete) {
    const { history, config } = checkpoint.state
    throw new CheckpointError(
      name,
      `the run is already complete (${history.length}/${config.epochs} epochs); nothing to resume`,
    )
  }
  return { checkpoint, name, recordedAs: recordedAs ?? name }
}

/**
 * The config a run was given: `options.config` with `options.model` as its architecture (the one place to give it
 * besides `config.model`; both at once is refused).
 */
export function givenConfig(options: TrainOptions): TrainConfigInput | undefined {
  if (options.model === undefined) return options.config
  if (options.config?.model !== undefined) {
    throw new InvalidTrainConfigError('model', 'the architecture in one place, `model` or `config.model`', 'both')
  }
  return { ...options.config, model: options.model }
}

/**
 * The run's config: the preset's settings then the caller's, resolved; when resuming, the checkpoint's (a field the
 * caller gives, or the preset sets, must agree with it).
 */
export function runConfig(
  given: TrainConfigInput | undefined,
  resumed: LoadedCheckpoint | undefined,
  resumeDir = '',
  preset?: string,
): TrainConfig {
  if (!resumed) return resolveTrainConfig(presetConfig(preset, given))
  const saved = withAugmentationDefaults(resumed.state.config)
  // Checked apart from the caller's own fields, so that a disagreement names `preset`, the option actually given.
  const presetOnly = presetConfig(preset)
  for (const [key, value] of Object.entries(presetOnly)) {
    if (given?.[key as keyof TrainConfigInput] !== undefined) continue // the caller's value wins and is checked below
    const savedValue = disagreement(saved, key, value)
    if (savedValue !== undefined) {
      throw new InvalidTrainConfigError(
        'preset',
        `a preset that agrees with the checkpoint (its ${key} is ${savedValue}, the preset's ` +
          `${JSON.stringify(value)}; a resumed run keeps its settings: leave the option out)`,
        preset,
      )
    }
  }
  return checkResumeConfig(saved, given ?? {}, resumeDir)
}

/**
 * A checkpoint written before the augmentation had pixel noise has no noise fields: it trained without noise, which
 * is what the defaults (noise 0) say.
 */
function withAugmentationDefaults(config: TrainConfig): TrainConfig {
  return { ...config, augmentation: { ...DEFAULT_AUGMENTATION, ...config.augmentation } }
}

/** The checkpoint's value of `key` as JSON when `value` (merged over it, for objects) differs from it. */
function disagreement(saved: TrainConfig, key: string, value: unknown): string | undefined {
  const savedValue = (saved as unknown as Record<string, unknown>)[key]
  const merged = typeof value === 'object' ? { ...(savedValue as object), ...value } : value
  return JSON.stringify(savedValue) === JSON.stringify(merged) ? undefined : JSON.stringify(savedValue)
}

function checkResumeConfig(saved: TrainConfig, given: TrainConfigInput, dir: string): TrainConfig {
  if (given.model !== undefined) checkResumeModel(saved.model, given.model, dir)
  for (const [key, value] of Object.entries(given)) {
    if (value === undefined || key === 'model') continue
    const savedValue = disagreement(saved, key, value)
    if (savedValue !== undefined) {
      throw new InvalidTrainConfigError(
        key,
        `the checkpoint's value ${savedValue} (a resumed run keeps its settings; leave the option out)`,
        value,
      )
    }
  }
  return saved
}

/** The architecture given to a resumed run (over the checkpoint's, field by field) must be the checkpoint's. */
function checkResumeModel(saved: ModelConfig, given: Partial<ModelConfig>, dir: string): void {
  const merged = { ...saved, ...given }
  let same: boolean
  try {
    same = sameModelConfig(saved, merged)
  } catch {
    // one of them is not a valid architecture: they cannot be the same network
    same = false
  }
  if (!same) throw new ResumeModelMismatchError(dir, describe(saved), describe(merged))
}

function describe(config: Partial<ModelConfig>): string {
  try {
    return describeModelConfig(config)
  } catch {
    return `an invalid architecture ${JSON.stringify(config).slice(0, 200)}`
  }
}

/** How a run selects its backend and step engine; for a resumed run, those it recorded unless overridden. */
export interface RunSettings {
  backend: BackendRequest
  threads: number | undefined
  fusedStep: boolean | undefined
  /** The backend comes from the checkpoint (not from the caller): when unavailable, resume refuses. */
  backendFromCheckpoint: boolean
  /** What an override changes (shown to the user: the result will differ from an uninterrupted run). */
  warnings: string[]
}

/**
 * A resumed run continues on the backend, threads and step engine its checkpoint recorded, so that it gives the
 * same weights as an uninterrupted run. `backend` other than `'auto'`, `threads` or `fusedStep` given by the caller
 * override them, with a warning where that changes the numerics.
 */
export function runSettings(options: TrainOptions, resumed: LoadedCheckpoint | undefined): RunSettings {
  const given = { backend: options.backend ?? 'auto', threads: options.threads, fusedStep: options.fusedStep }
  if (!resumed) return { ...given, backendFromCheckpoint: false, warnings: [] }
  const saved = resumed.state
  const warnings: string[] = []
  const override = given.backend !== 'auto' && given.backend !== saved.backend
  if (override) {
    warnings.push(
      `resuming on backend "${given.backend}", not "${saved.backend}" as the checkpoint was trained: ` +
        'the weights will differ from an uninterrupted run',
    )
  }
  const savedThreads = saved.threads ?? undefined
  const threadsSet = given.threads !== undefined && saved.threads !== undefined && given.threads !== savedThreads
  // The fused step sums in a fixed order on any number of threads; the stock backends may not.
  if (threadsSet && (override ? given.backend : saved.backend) !== 'simd') {
    warnings.push(
      `resuming with ${given.threads} threads, the checkpoint used ${savedThreads ?? 'the default'}: ` +
        'the weights may differ from an uninterrupted run',
    )
  }
  return {
    backend: override ? given.backend : saved.backend,
    threads: given.threads ?? savedThreads,
    // The recorded step engine matters on the recorded backend only (on another one the numerics differ anyway).
    fusedStep: given.fusedStep ?? (!override && saved.stepEngine === 'tfjs' ? false : undefined),
    backendFromCheckpoint: !override,
    warnings,
  }
}

/** A warning when the step engine differs from the one the checkpoint trained with on the same backend. */
export function stepEngineWarning(
  resumed: LoadedCheckpoint | undefined,
  settings: RunSettings,
  engine: StepEngineName,
): string[] {
  const saved = resumed?.state.stepEngine
  if (saved === undefined || saved === engine || !settings.backendFromCheckpoint) return []
  return [`training with the ${engine} step, the checkpoint used the ${saved} step: the weights will differ`]
}
