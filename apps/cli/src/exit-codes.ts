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
  // Ctrl-C before training started
  CLI_INTERRUPTED: 130,
}

/** Exit code for an error thrown by a command: by its `code` (see the table), else 1. */
export function exitCodeFor(error: unknown): number {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined
  return typeof code === 'string' ? (EXIT_CODES[code] ?? 1) : 1
}
