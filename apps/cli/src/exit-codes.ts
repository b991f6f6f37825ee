/**
 * The one table from error codes (the `code` of the packages' typed errors and of `CliError`) to exit codes.
 * Codes not listed exit 1: the work failed (bad data, a missing file, a failed download, a non-finite loss).
 */
const EXIT_CODES: Readonly<Record<string, number>> = {
  // usage: a value the user can fix on the command line
  BACKENDS_UNAVAILABLE: 2,
  BACKENDS_UNKNOWN_BACKEND: 2,
  BACKENDS_BAD_THREADS: 2,
  // the user's input files or flag combinations
  CLI_BAD_INPUT: 1,
  // `mnist train --arch <file>`: the architecture file is not a valid ModelConfig under the parameter budget, or not
  // the architecture of the checkpoint being resumed (a flag value the user fixes)
  CLI_BAD_ARCH: 2,
  TRAIN_RESUME_MODEL_MISMATCH: 2,
  // a value of a train flag found unusable when training starts (named in the message): out of range (`--limit`
  // above the dataset's size) or in conflict with the checkpoint being resumed. TRAIN_BAD_DATA stays 1: the CLI
  // passes no in-memory data, so it only means data files the model cannot train on (bad data, not a bad flag).
  TRAIN_INVALID_CONFIG: 2,
  TRAIN_OUT_DIR_UNWRITABLE: 2,
  TRAIN_BATCH_TOO_LARGE: 2,
  TRAIN_RESUME_BACKEND_UNAVAILABLE: 2,
  // `mnist train` stopped (after writing its checkpoint when training had started): 128 + the signal's number, as a
  // shell reports a process killed by it; a closed stdout counts as SIGPIPE
  CLI_INTERRUPTED: 130,
  CLI_HANGUP: 129,
  CLI_TERMINATED: 143,
  CLI_OUTPUT_CLOSED: 141,
}

/** Exit code for an error thrown by a command: by its `code` (see the table), else 1. */
export function exitCodeFor(error: unknown): number {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined
  return typeof code === 'string' ? exitCodeOf(code) : 1
}

/** Exit code of an error code (see the table), else 1. */
export function exitCodeOf(code: string): number {
  return EXIT_CODES[code] ?? 1
}
