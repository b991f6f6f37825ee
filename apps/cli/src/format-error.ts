/** One line (or a few) a user can act on; the stack only with MNIST_DEBUG=1. */
export function formatError(error: unknown): string {
  if (process.env.MNIST_DEBUG === '1' && error instanceof Error && error.stack) return `error: ${error.stack}`
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `\n  caused by: ${error.cause.message}` : ''
    return `error: ${error.message}${cause}`
  }
  return `error: ${String(error)}`
}
