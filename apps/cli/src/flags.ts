import { BACKEND_ORDER } from '@mnist/backends'
import { MAX_THREADS } from '@mnist/backend-simd'
import { InvalidArgumentError, Option } from 'commander'

// Flag parsers shared by every command: each error names the flag and the expected range, and commander turns it
// into a usage error (exit code 2).

/** Commander parser for an integer flag in [min, max]; the error names the flag and the range. */
export function intFlag(flag: string, min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value)
    if (!/^[+]?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${flag} expects an integer from ${min} to ${max}, got "${value}".`)
    }
    return n
  }
}

/** Commander parser for a number flag in (min, max] or [min, max]. */
export function numberFlag(flag: string, min: number, max: number, minExclusive: boolean): (value: string) => number {
  return (value) => {
    const n = Number(value)
    if (value.trim() === '' || !Number.isFinite(n) || (minExclusive ? n <= min : n < min) || n > max) {
      throw new InvalidArgumentError(
        `${flag} expects a number ${minExclusive ? 'greater than' : 'from'} ${min}${minExclusive ? ' and at most' : ' to'} ${max}, got "${value}".`,
      )
    }
    return n
  }
}

/** Commander parser for a comma-separated list of numbers in [min, max]; the error names what was expected. */
export function numberList(min: number, max: number, what: string): (value: string) => number[] {
  return (value) => {
    const parts = value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0)
    const numbers = parts.map(Number)
    if (parts.length === 0 || numbers.some((n) => !Number.isFinite(n) || n < min || n > max)) {
      throw new InvalidArgumentError(`expected comma-separated ${what} (numbers in ${min}..${max}), e.g. "0,0.1,0.2"`)
    }
    return numbers
  }
}

/**
 * `--backend <name>`, restricted to the backends @mnist/backends knows; every command reads `MNIST_BACKEND` when the
 * flag is not given.
 */
export function backendOption(description = 'tfjs backend; auto takes the fastest that works here'): Option {
  return new Option('--backend <name>', description)
    .choices(['auto', ...BACKEND_ORDER])
    .env('MNIST_BACKEND')
    .default('auto')
}

/** `--threads <n>` for the simd and wasm backends: 1 to @mnist/backend-simd's `MAX_THREADS`, env `MNIST_THREADS`. */
export function threadsOption(description = 'threads for the simd and wasm backends (default: all cores)'): Option {
  return new Option('--threads <n>', description).env('MNIST_THREADS').argParser(intFlag('--threads', 1, MAX_THREADS))
}
