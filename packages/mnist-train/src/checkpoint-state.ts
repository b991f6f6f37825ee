import { createHash } from 'node:crypto'
import path from 'node:path'
import { TRAINING_STATE_FILE, type CheckpointFiles, type CheckpointState } from './checkpoint-format'
import { readRegularFile } from './checkpoint-read'
import { checkpointInconsistency } from './checkpoint-consistency'
import { CheckpointError } from './errors'

// training.json as a commit record: sealed with a checksum of its content, listing the other files' sizes and
// hashes, and checked for internal consistency on every read (also when written before the checksum existed).

/** `state` with `checksum` set to the SHA-256 of its JSON without that field. */
export function sealState(state: CheckpointState): CheckpointState {
  const { checksum: _old, ...rest } = state
  return { ...rest, checksum: checksumOf(rest) }
}

function checksumOf(content: Omit<CheckpointState, 'checksum'>): string {
  return createHash('sha256').update(JSON.stringify(content)).digest('hex')
}

/**
 * Refuses a training.json that was edited (its checksum, where it has one) or does not agree with itself: the
 * position, step count, epoch history, running sums and optimiser step follow from each other, so a position moved
 * by hand (skipping steps) is caught also in a checkpoint written before checksums existed.
 */
export function checkState(statePath: string, state: CheckpointState): void {
  if (state.checksum !== undefined) {
    const { checksum, ...rest } = state
    if (checksum !== checksumOf(rest)) {
      throw new CheckpointError(
        statePath,
        'was changed after it was written (its checksum does not match its content); a checkpoint must not be ' +
          'edited by hand: resume from it as written',
      )
    }
  }
  const problem = checkpointInconsistency(state)
  if (problem !== undefined) {
    throw new CheckpointError(statePath, `is inconsistent (${problem}): the file was edited or damaged`)
  }
}

/**
 * Checks every file the commit record lists against its size and SHA-256 (a damaged or swapped file is refused). Each
 * is read as a regular file of at most its listed size (+1); a name that is not a plain file name of `dir` is refused.
 */
export async function checkFiles(dir: string, files: CheckpointFiles | undefined): Promise<void> {
  if (files === undefined) return
  const statePath = path.join(dir, TRAINING_STATE_FILE)
  for (const [name, want] of Object.entries(files)) {
    if (name === '' || name === '.' || /[/\\]/.test(name) || name.includes('..')) {
      throw new CheckpointError(statePath, `lists ${JSON.stringify(name)}, not a file name of the checkpoint folder`)
    }
    if (!Number.isSafeInteger(want?.bytes) || want.bytes < 0 || typeof want.sha256 !== 'string') {
      throw new CheckpointError(statePath, `lists ${name} without a valid size and SHA-256`)
    }
    const file = path.join(dir, name)
    const bytes = await readRegularFile(file, want.bytes)
    const sha256 = createHash('sha256').update(bytes).digest('hex')
    if (bytes.byteLength !== want.bytes || sha256 !== want.sha256) {
      const found =
        bytes.byteLength > want.bytes
          ? `more than ${want.bytes} bytes`
          : `${bytes.byteLength} bytes with ${sha256.slice(0, 12)}…`
      throw new CheckpointError(
        file,
        `does not match training.json (expected ${want.bytes} bytes with SHA-256 ${want.sha256.slice(0, 12)}…, ` +
          `found ${found}): the checkpoint is damaged`,
      )
    }
  }
}
