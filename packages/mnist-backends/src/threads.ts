import { MAX_THREADS } from '@mnist/backend-simd'
import { BackendsConfigError } from './errors'

/**
 * Threads are checked once, up front, against the limit @mnist/backend-simd owns: a count a backend would refuse must
 * be an error naming the limit, not a reason for `auto` to skip to a slower backend.
 */
export function checkThreads(threads: number | undefined): void {
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1 && threads <= MAX_THREADS)) {
    throw new BackendsConfigError('BACKENDS_BAD_THREADS', 'threads', `an integer from 1 to ${MAX_THREADS}`, threads)
  }
}
