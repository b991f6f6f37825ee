import { BackendsConfigError, BackendUnavailableError } from '@mnist/backends'
import { InvalidTrainConfigError, TrainDataError } from '@mnist/train'
import { describe, expect, it } from 'vitest'
import { CliError } from '../src/errors'
import { exitCodeFor } from '../src/exit-codes'

describe('exitCodeFor', () => {
  it('maps codes, not fields on library errors', () => {
    const unavailable = new BackendUnavailableError('node', 'no addon', 'install it')
    expect(unavailable).not.toHaveProperty('exitCode')
    expect(exitCodeFor(unavailable)).toBe(2)
    expect(exitCodeFor(new BackendsConfigError('BACKENDS_BAD_THREADS', 'threads', 'an integer from 1 to 64', 65))).toBe(
      2,
    )
    expect(exitCodeFor(new CliError('CLI_INTERRUPTED', 'interrupted'))).toBe(130)
    expect(exitCodeFor(new CliError('CLI_BAD_INPUT', 'no such file'))).toBe(1)
  })

  it('a train option out of range or in conflict with the resumed checkpoint is usage (2); bad data is 1', () => {
    expect(
      exitCodeFor(new InvalidTrainConfigError('limit', 'an integer in [1, 60000] (images available)', 70000)),
    ).toBe(2)
    expect(exitCodeFor(new TrainDataError('train.labels[3]', 'is 12: a class index below 10'))).toBe(1)
  })

  it('is 1 for everything else', () => {
    expect(exitCodeFor(new Error('boom'))).toBe(1)
    expect(exitCodeFor(Object.assign(new Error('old style'), { exitCode: 7 }))).toBe(1)
    expect(exitCodeFor('a string')).toBe(1)
    expect(exitCodeFor(null)).toBe(1)
  })
})
