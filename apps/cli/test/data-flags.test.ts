import type { Command, Option } from 'commander'
import { describe, expect, it } from 'vitest'
import { createProgram } from '../src/main'

const DATA_FLAGS = ['--dataset', '--data-dir', '--mirror', '--cache-dir', '--timeout', '--retries']

function dataOptions(command: Command): Record<string, Option> {
  return Object.fromEntries(command.options.filter((o) => DATA_FLAGS.includes(o.long!)).map((o) => [o.long!, o]))
}

describe('the data flags', () => {
  it('are the same six flags with the same help text in every command that reads data', () => {
    const commands = createProgram().commands.filter((c) => c.options.some((o) => o.long === '--data-dir'))
    expect(commands.map((c) => c.name()).sort()).toEqual(['augment-demo', 'data', 'eval', 'train'])
    const [first, ...rest] = commands.map(dataOptions)
    expect(Object.keys(first!).sort()).toEqual([...DATA_FLAGS].sort())
    for (const options of rest) {
      for (const flag of DATA_FLAGS) {
        expect(options[flag]!.description).toBe(first![flag]!.description)
        expect(options[flag]!.argChoices).toEqual(first![flag]!.argChoices)
      }
    }
  })

  it('--backend reads MNIST_BACKEND in every command that has it', () => {
    const withBackend = createProgram().commands.filter((c) => c.options.some((o) => o.long === '--backend'))
    expect(withBackend.map((c) => c.name()).sort()).toEqual(['eval', 'predict', 'train'])
    for (const c of withBackend) expect(c.options.find((o) => o.long === '--backend')!.envVar).toBe('MNIST_BACKEND')
  })
})
