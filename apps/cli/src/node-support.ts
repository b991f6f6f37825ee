/**
 * End-of-life dates of Node.js release lines (https://nodejs.org/en/about/previous-releases and the Release WG
 * schedule). Odd lines are never LTS and end about two months after the next even line is released. Lines missing
 * here are newer than this table: their end of life is not known to this version of the CLI.
 */
export const NODE_END_OF_LIFE: Readonly<Record<number, string>> = {
  14: '2023-04-30',
  16: '2023-09-11',
  17: '2022-06-01',
  18: '2025-04-30',
  19: '2023-06-01',
  20: '2026-04-30',
  21: '2024-06-01',
  22: '2027-04-30',
  23: '2025-06-01',
  24: '2028-04-30',
  25: '2026-06-01',
  26: '2029-04-30',
}

/** The Node lines this repository's CI runs (20 too, although past its end of life: it still works). */
export const TESTED_NODE_MAJORS: readonly number[] = [20, 22, 24, 26]

export interface NodeSupport {
  /** e.g. '24.22.3' */
  version: string
  major: number
  /** End-of-life date (YYYY-MM-DD) of this line; null where the table does not know the line. */
  endOfLife: string | null
  /** The end-of-life date has passed (older lines than the table's are past it too). */
  pastEndOfLife: boolean
  /** CI runs this line. */
  tested: boolean
}

/** What is known about a Node version's support on a given day (injectable for tests). */
export function nodeSupport(version: string, today: Date = new Date()): NodeSupport {
  const major = Number(version.replace(/^v/, '').split('.')[0])
  const known = Object.keys(NODE_END_OF_LIFE).map(Number)
  const endOfLife = NODE_END_OF_LIFE[major] ?? null
  const pastEndOfLife =
    endOfLife != null ? today.getTime() >= Date.parse(`${endOfLife}T00:00:00Z`) : major < Math.min(...known)
  const tested = TESTED_NODE_MAJORS.includes(major)
  return { version: version.replace(/^v/, ''), major, endOfLife, pastEndOfLife, tested }
}

/** One line for `mnist info` when the line is past its end of life; null otherwise. */
export function endOfLifeNote(s: NodeSupport, today: Date = new Date()): string | null {
  if (!s.pastEndOfLife) return null
  const since = s.endOfLife != null ? ` on ${s.endOfLife}` : ''
  const tested = TESTED_NODE_MAJORS.filter((m) => m > s.major && !nodeSupport(`${m}.0.0`, today).pastEndOfLife)
  const use = tested.length > 0 ? `; use Node ${tested.join(', ').replace(/, (\d+)$/, ' or $1')}` : ''
  return `note: Node ${s.major} reached its end of life${since} (no more security fixes)${use}`
}
