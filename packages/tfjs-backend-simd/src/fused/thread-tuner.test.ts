import { describe, expect, test } from 'vitest'
import { ThreadTuner } from './thread-tuner'

/** Feeds `steps` steps whose time depends on the tuner's current choice; returns the choice before each step. */
function run(tuner: ThreadTuner, steps: number, msFor: (limit: number, step: number) => number, from = 0): number[] {
  const choices: number[] = []
  for (let i = from; i < from + steps; i++) {
    choices.push(tuner.limit)
    tuner.record(msFor(tuner.limit, i))
  }
  return choices
}

const count = (xs: number[], v: number): number => xs.filter((x) => x === v).length

describe('ThreadTuner', () => {
  test('an idle machine: all threads stay after the first probe, and no further probes while steps stay fast', () => {
    const tuner = new ThreadTuner()
    const choices = run(tuner, 2000, (limit) => (limit === 1 ? 5 : 2.7))
    expect(count(choices, 1)).toBe(4) // the first probe only
    expect(choices.slice(40)).not.toContain(1)
  })

  test('a busy machine: one thread is chosen after ~20 steps, and all threads are re-checked with a back-off', () => {
    const tuner = new ThreadTuner()
    const choices = run(tuner, 1000, (limit) => (limit === 1 ? 5 : 12))
    expect(choices.slice(24, 44)).toEqual(new Array(20).fill(1))
    // probes of all threads: soon at first, then at most every 150 steps (4 steps each)
    const onAll = count(choices.slice(30), Infinity)
    expect(onAll).toBeGreaterThan(4 * 5)
    expect(onAll).toBeLessThan(4 * 12)
  })

  test('after a burst of load, all threads are back within tens of steps, not a whole interval', () => {
    const tuner = new ThreadTuner()
    // steps 200-400: another process takes a core; all threads are 4x slower, one thread is not affected
    const busy = (i: number): boolean => i >= 200 && i < 400
    const choices = run(tuner, 1000, (limit, i) => (limit === 1 ? 5 : busy(i) ? 11 : 2.7))
    // the load is noticed at the next check (step ~324) ...
    expect(choices.slice(330, 350)).toEqual(new Array(20).fill(1))
    // ... and all threads are back at the first re-check after it ends (~60 steps), not after 150
    const lastOne = choices.lastIndexOf(1)
    expect(lastOne).toBeGreaterThanOrEqual(400)
    expect(lastOne).toBeLessThan(400 + 60)
  })

  test('one thread must win by a margin: a noisy reading does not halve the speed', () => {
    const tuner = new ThreadTuner()
    // all threads: 2.7 ms with occasional slow steps; one thread: 2.6 ms (a near-tie, e.g. a tiny network)
    const choices = run(tuner, 1000, (limit, i) => (limit === 1 ? 2.6 : i % 3 === 0 ? 4 : 2.7))
    expect(count(choices, 1)).toBeLessThanOrEqual(4)
  })
})
