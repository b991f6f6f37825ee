// Fault injection for the checkpoint protocol's tests: with MNIST_TRAIN_CRASH_AFTER=<write>:<step> the process kills
// itself with SIGKILL right after step <step> (1-based) of its <write>-th checkpoint write, exactly as a power cut or
// the OOM killer would stop it there. Unset (always, outside those tests) this is one string comparison per step.

/** The environment variable (read at each checkpoint write). */
export const CRASH_ENV = 'MNIST_TRAIN_CRASH_AFTER'

let writes = 0

/** Marks the start of a checkpoint write; returns the function each step of that write calls when it is done. */
export function crashPoints(): (step: string) => void {
  writes += 1
  const spec = process.env[CRASH_ENV]
  if (spec === undefined || spec === '') return () => undefined
  const [write, step] = spec.split(':').map(Number)
  let done = 0
  const thisWrite = writes
  return () => {
    done += 1
    if (thisWrite === write && done === step) process.kill(process.pid, 'SIGKILL')
  }
}
