import { afterEach, describe, expect, it, vi } from 'vitest'
import { installStopper } from '../../src/commands/train-stop'

// The stop handlers in-process (signals are emitted, process.exit is mocked): the first signal asks for a graceful
// stop, the second exits at once with 128 + its number; EPIPE on stdout stops the same way and marks it closed.

afterEach(() => vi.restoreAllMocks())

describe('installStopper', () => {
  it('first SIGTERM: onStop and abort; second: exit 143 at once', () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never)
    const onStop = vi.fn()
    const stopper = installStopper(onStop)
    try {
      process.emit('SIGTERM')
      expect(onStop).toHaveBeenCalledWith('SIGTERM')
      expect(stopper.signal.aborted).toBe(true)
      expect(stopper.reason).toBe('CLI_TERMINATED')
      expect(exit).not.toHaveBeenCalled()
      process.emit('SIGTERM')
      expect(exit).toHaveBeenCalledWith(143)
      expect(onStop).toHaveBeenCalledTimes(1)
    } finally {
      stopper.dispose()
    }
  })

  it('SIGHUP is 129 and SIGINT 130 on the second signal', () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never)
    for (const [signal, code, reason] of [
      ['SIGHUP', 129, 'CLI_HANGUP'],
      ['SIGINT', 130, 'CLI_INTERRUPTED'],
    ] as const) {
      const stopper = installStopper(() => undefined)
      process.emit(signal)
      expect(stopper.reason).toBe(reason)
      process.emit(signal)
      expect(exit).toHaveBeenLastCalledWith(code)
      stopper.dispose()
    }
  })

  it('EPIPE on stdout stops gracefully, marks stdout closed; a signal after it is still the first signal', () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never)
    const onStop = vi.fn()
    const stopper = installStopper(onStop)
    try {
      process.stdout.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }))
      expect(stopper.signal.aborted).toBe(true)
      expect(stopper.reason).toBe('CLI_OUTPUT_CLOSED')
      expect(stopper.closed('stdout')).toBe(true)
      expect(stopper.closed('stderr')).toBe(false)
      process.emit('SIGTERM')
      expect(exit).not.toHaveBeenCalled()
      expect(stopper.reason).toBe('CLI_TERMINATED')
    } finally {
      stopper.dispose()
    }
  })
})

describe('installStopper: a terminal that went away', () => {
  it.each(['EIO', 'ENXIO'])('%s on stderr stops gracefully and marks stderr closed (no rethrow)', (code) => {
    vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never)
    const stopper = installStopper(() => undefined)
    try {
      expect(() => process.stderr.emit('error', Object.assign(new Error(`write ${code}`), { code }))).not.toThrow()
      expect(stopper.signal.aborted).toBe(true)
      expect(stopper.reason).toBe('CLI_OUTPUT_CLOSED')
      expect(stopper.closed('stderr')).toBe(true)
    } finally {
      stopper.dispose()
    }
  })

  it('another error on stdout is still rethrown', () => {
    const stopper = installStopper(() => undefined)
    try {
      expect(() => process.stdout.emit('error', Object.assign(new Error('write ENOSPC'), { code: 'ENOSPC' }))).toThrow(
        'ENOSPC',
      )
      expect(stopper.signal.aborted).toBe(false)
    } finally {
      stopper.dispose()
    }
  })

  it('SIGHUP marks stdout and stderr closed before onStop writes anything', () => {
    vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never)
    const seen: Array<[boolean, boolean]> = []
    const stopper = installStopper(() => {
      seen.push([stopper.closed('stdout'), stopper.closed('stderr')])
    })
    try {
      process.emit('SIGHUP')
      expect(seen).toEqual([[true, true]])
      expect(stopper.reason).toBe('CLI_HANGUP')
    } finally {
      stopper.dispose()
    }
  })
})
