/**
 * Flag hints for library errors: the libraries speak of options (`backend`, `dataDir`, `mirror`), the command line of
 * flags, so the CLI adds the flag that does the same where an error code has one.
 */
const FLAG_HINTS: Readonly<Record<string, string>> = {
  BACKENDS_UNAVAILABLE:
    '--backend auto picks the fastest backend that works here; `mnist info` lists each one and its fix',
  DATA_DOWNLOAD_FAILED:
    '--data-dir <dir> reads a local copy of the four files; --mirror <url> downloads from another server',
}

/** One line (or a few) a user can act on; the stack only with MNIST_DEBUG=1. */
export function formatError(error: unknown): string {
  if (process.env.MNIST_DEBUG === '1' && error instanceof Error && error.stack) return `error: ${error.stack}`
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `\n  caused by: ${error.cause.message}` : ''
    const code = (error as { code?: unknown }).code
    const hint = typeof code === 'string' && code in FLAG_HINTS ? `\n  hint: ${FLAG_HINTS[code]}` : ''
    return `error: ${error.message}${cause}${hint}`
  }
  return `error: ${String(error)}`
}
