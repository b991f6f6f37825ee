// Wraps every registered kernel of a backend to accumulate its wall time (kernel vs outside-kernel breakdown).
import * as tf from '@tensorflow/tfjs-core'

export interface KernelTimer {
  totalMs(): number
  reset(): void
  byKernel(): Map<string, { ms: number; n: number }>
}

export function instrumentKernels(backendName: string): KernelTimer {
  const stats = new Map<string, { ms: number; n: number }>()
  let depth = 0
  let total = 0
  for (const k of tf.getKernelsForBackend(backendName)) {
    const inner = k.kernelFunc
    tf.unregisterKernel(k.kernelName, backendName)
    tf.registerKernel({
      ...k,
      kernelFunc: (args) => {
        if (depth > 0) return inner(args)
        depth++
        const t0 = performance.now()
        try {
          return inner(args)
        } finally {
          const dt = performance.now() - t0
          depth--
          total += dt
          const e = stats.get(k.kernelName) ?? { ms: 0, n: 0 }
          e.ms += dt
          e.n++
          stats.set(k.kernelName, e)
        }
      },
    })
  }
  return {
    totalMs: () => total,
    reset: () => {
      total = 0
      stats.clear()
    },
    byKernel: () => stats,
  }
}
