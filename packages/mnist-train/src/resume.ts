import { readCheckpoint, type LoadedCheckpoint } from './checkpoint'
import { resolveTrainConfig, type TrainConfig, type TrainConfigInput } from './config'
import { CheckpointError, InvalidTrainConfigError } from './errors'

/** The checkpoint to continue (undefined for a fresh run); a complete run cannot be resumed. */
export async function openResume(dir: string | undefined): Promise<LoadedCheckpoint | undefined> {
  if (dir === undefined) return undefined
  const resumed = await readCheckpoint(dir)
  if (resumed.state.complete) {
    const { history, config } = resumed.state
    throw new CheckpointError(
      dir,
      `the run is already complete (${history.length}/${config.epochs} epochs); nothing to resume`,
    )
  }
  return resumed
}

/** The run's config: the checkpoint's when resuming (a field the caller also gives must agree), else resolved. */
export function runConfig(given: TrainConfigInput | undefined, resumed: LoadedCheckpoint | undefined): TrainConfig {
  return resumed ? checkResumeConfig(resumed.state.config, given ?? {}) : resolveTrainConfig(given)
}

function checkResumeConfig(saved: TrainConfig, given: TrainConfigInput): TrainConfig {
  for (const [key, value] of Object.entries(given)) {
    if (value === undefined) continue
    const savedValue = (saved as unknown as Record<string, unknown>)[key]
    const merged = typeof value === 'object' ? { ...(savedValue as object), ...value } : value
    if (JSON.stringify(savedValue) !== JSON.stringify(merged)) {
      throw new InvalidTrainConfigError(
        key,
        `the checkpoint's value ${JSON.stringify(savedValue)} (a resumed run keeps its settings; leave the option out)`,
        value,
      )
    }
  }
  return saved
}
