/** The first non-empty line of an error's message, at most 200 characters: a `reason` is one line. */
export function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  const line = (message.split('\n').find((l) => l.trim() !== '') ?? message).trim()
  return line.length > 200 ? `${line.slice(0, 197)}...` : line
}
