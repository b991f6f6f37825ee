export type CliErrorCode =
  'CLI_BAD_INPUT' | 'CLI_BAD_ARCH' | 'CLI_INTERRUPTED' | 'CLI_HANGUP' | 'CLI_TERMINATED' | 'CLI_OUTPUT_CLOSED'

/** A problem the CLI itself finds (a flag combination, an input file) or reports (an interrupt). */
export class CliError extends Error {
  override name = 'CliError'
  constructor(
    readonly code: CliErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}
