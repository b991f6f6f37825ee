import type { CliErrorCode } from '../errors'

// How `mnist train` is stopped from outside: Ctrl-C (SIGINT), SIGTERM (docker stop, systemd, timeout, job
// schedulers), SIGHUP (a closed terminal) and a closed stdout or stderr (`mnist train | head`). Each stops training
// the same way: at the end of the step, with a resumable checkpoint written before the process exits.

/** Why the run was stopped: the CLI error code whose exit code the process ends with (see exit-codes.ts). */
export type StopReason = Extract<
  CliErrorCode,
  'CLI_INTERRUPTED' | 'CLI_HANGUP' | 'CLI_TERMINATED' | 'CLI_OUTPUT_CLOSED'
>

const SIGNALS: ReadonlyArray<[NodeJS.Signals, StopReason]> = [
  ['SIGINT', 'CLI_INTERRUPTED'],
  ['SIGTERM', 'CLI_TERMINATED'],
  ['SIGHUP', 'CLI_HANGUP'],
]

/** Write errors that mean the reader of stdout or stderr is gone: a closed pipe, or a tty whose terminal closed. */
const READER_GONE: ReadonlySet<string> = new Set(['EPIPE', 'ERR_STREAM_DESTROYED', 'EIO', 'ENXIO'])

/** 128 + the signal's number: what a second signal exits with at once. */
const FORCED_EXIT: Readonly<Record<string, number>> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 }

export interface Stopper {
  /** Aborted by the first signal or a closed output. */
  readonly signal: AbortSignal
  /** The first reason the run was stopped, if any. */
  readonly reason: StopReason | undefined
  /** True once stdout (or stderr) is closed: nothing more is written to it. */
  closed(stream: 'stdout' | 'stderr'): boolean
  dispose(): void
}

/**
 * Installs the handlers. The first signal calls `onStop` (to say what happens) and aborts `signal`; a second one
 * exits at once (the checkpoint being written, if any, stays whole: `--resume` finds a complete one in its folder). EPIPE
 * (or EIO, ENXIO from a tty whose terminal closed) on stdout or stderr marks the stream closed (no more writes, no
 * stack trace) and stops the run the same way. SIGHUP marks both streams closed before `onStop` runs.
 */
export function installStopper(onStop: (signal: NodeJS.Signals) => void): Stopper {
  const controller = new AbortController()
  let reason: StopReason | undefined
  const closedStreams = new Set<string>()
  const stop = (why: StopReason): void => {
    reason ??= why
    controller.abort()
  }
  let signalled = false
  const handlers = SIGNALS.map(([signal, why]) => {
    const handler = (): void => {
      if (signalled) {
        process.exit(FORCED_EXIT[signal])
        return
      }
      signalled = true
      // A closed terminal: its tty now fails every write (EIO, ENXIO), so nothing more is written to either stream,
      // not even the message onStop prints.
      if (signal === 'SIGHUP') {
        closedStreams.add('stdout')
        closedStreams.add('stderr')
      }
      // A signal outranks a closed output as the reason (and its exit code).
      if (reason === 'CLI_OUTPUT_CLOSED') reason = why
      onStop(signal)
      stop(why)
    }
    process.on(signal, handler)
    return [signal, handler] as const
  })
  const onStreamError = (name: 'stdout' | 'stderr') => (error: NodeJS.ErrnoException) => {
    // Only a gone reader is expected here (a closed pipe, or a tty whose terminal went away: EIO, ENXIO); anything
    // else on our own output is as fatal as it was without us.
    if (!READER_GONE.has(error.code ?? '')) throw error
    closedStreams.add(name)
    stop('CLI_OUTPUT_CLOSED')
  }
  const onStdout = onStreamError('stdout')
  const onStderr = onStreamError('stderr')
  process.stdout.on('error', onStdout)
  process.stderr.on('error', onStderr)
  return {
    signal: controller.signal,
    get reason() {
      return reason
    },
    closed: (stream) => closedStreams.has(stream),
    dispose() {
      for (const [signal, handler] of handlers) process.off(signal, handler)
      // The stream listeners stay: a write still queued when the pipe closes must not become an uncaught error.
    },
  }
}
