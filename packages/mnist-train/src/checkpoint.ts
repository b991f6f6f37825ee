import fs from 'node:fs/promises'
import path from 'node:path'
import { recoverCheckpoint } from './checkpoint-commit'
import {
  CHECKPOINT_FORMAT,
  decodeMoments,
  momentsBytes,
  OPTIMIZER_FILE,
  TRAINING_STATE_FILE,
  type CheckpointState,
  type LoadedCheckpoint,
} from './checkpoint-format'
import { readRegularFile } from './checkpoint-read'
import { checkFiles, checkState } from './checkpoint-state'
import { CheckpointError } from './errors'

/**
 * Read and check a checkpoint folder's `training.json` and `optimizer.bin` (the model is read by `loadModel`). A
 * write that was interrupted (a crash, SIGKILL) is finished first, so the folder holds one whole checkpoint; the
 * commit record's checksum, its consistency and the listed files' sizes and hashes are then verified.
 */
export async function readCheckpoint(dir: string): Promise<LoadedCheckpoint> {
  await recoverCheckpoint(dir)
  const statePath = path.join(dir, TRAINING_STATE_FILE)
  const state = parseState(statePath, await readState(statePath))
  checkState(statePath, state)
  await checkFiles(dir, state.files)
  const binPath = path.join(dir, OPTIMIZER_FILE)
  const expected = momentsBytes(state.optimizer)
  if (!Number.isSafeInteger(expected) || expected > MAX_OPTIMIZER_BYTES) {
    throw new CheckpointError(statePath, `its optimizer slots describe ${expected} bytes of optimiser state`)
  }
  const bytes = await readRegularFile(binPath, expected)
  return { state, optimizer: decodeMoments(binPath, state.optimizer, bytes) }
}

/** Far above the optimiser state of any model this package builds; a larger size is a damaged training.json. */
const MAX_OPTIMIZER_BYTES = 2 ** 31
/** training.json holds settings, a position and one summary per epoch: kilobytes. */
const MAX_STATE_BYTES = 64 * 2 ** 20

async function readState(statePath: string): Promise<string> {
  try {
    await fs.access(statePath)
  } catch (cause) {
    const missing = (cause as NodeJS.ErrnoException).code === 'ENOENT'
    throw new CheckpointError(
      statePath,
      missing
        ? 'not found: expected a checkpoint folder written by @mnist/train (model.json, optimizer.bin, training.json)'
        : 'could not be read',
      { cause },
    )
  }
  const bytes = await readRegularFile(statePath, MAX_STATE_BYTES)
  if (bytes.byteLength > MAX_STATE_BYTES)
    throw new CheckpointError(statePath, `is larger than ${MAX_STATE_BYTES} bytes`)
  return bytes.toString('utf8')
}

function parseState(statePath: string, text: string): CheckpointState {
  let state: CheckpointState
  try {
    state = JSON.parse(text) as CheckpointState
  } catch (cause) {
    throw new CheckpointError(statePath, 'is not valid JSON', { cause })
  }
  if (state === null || typeof state !== 'object' || state.format !== CHECKPOINT_FORMAT) {
    const found = JSON.stringify((state as { format?: unknown } | null)?.format)
    throw new CheckpointError(statePath, `expected format "${CHECKPOINT_FORMAT}", found ${found}`)
  }
  const p = state.position
  const wellFormed =
    p &&
    [p.epoch, p.batch, p.step].every((n) => Number.isSafeInteger(n) && n >= 0) &&
    Array.isArray(state.optimizer?.slots)
  if (!wellFormed) throw new CheckpointError(statePath, 'position or optimizer fields are missing or malformed')
  return state
}
