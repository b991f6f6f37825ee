// The floor under an epoch on the fused step, from the kernels' own work: the CPU time of one training step on one
// thread (the least of several rounds, so another process's load counts least), times the epoch's steps, divided by
// the threads. No split of the work over threads can beat it (synchronisation and shared caches only add), so it
// shows how far the kernel work alone leaves an epoch from a time target. bench/arch-vs-torch.mjs prints it for
// model C against PyTorch; the two-thread step is measured the same way for comparison.
// Needs the simd backend registered and set (train() has done it when arch-vs-torch calls this).
import { FusedTrainer, fusedNetworkFromSpec, getThreadsCount, setThreadsCount } from '@mnist/backend-simd'
import { resolveConfig } from '@mnist/model'

/**
 * { cpuMs: one step's CPU time on one thread, wallMs: one step's wall time on all threads, threads } for
 * `modelConfig` at `batchSize`, least of `rounds` rounds of `steps` steps each.
 */
export async function fusedStepFloor(modelConfig, { batchSize, rounds = 20, steps = 10 }) {
  const threads = getThreadsCount()
  let cpuMs
  try {
    setThreadsCount(1) // the workers stop at once: the next trainer runs on this thread only
    cpuMs = await leastPerStep(modelConfig, batchSize, 1, rounds, steps, () => {
      const c = process.cpuUsage()
      return (c.user + c.system) / 1000
    })
  } finally {
    setThreadsCount(threads)
  }
  const wallMs = await leastPerStep(modelConfig, batchSize, threads, rounds, steps, () => performance.now())
  return { cpuMs, wallMs, threads }
}

/** The least time per step by `clock`, on a trainer that runs on `threads` threads (waits for the workers to start). */
async function leastPerStep(modelConfig, batchSize, threads, rounds, steps, clock) {
  const trainer = new FusedTrainer(fusedNetworkFromSpec(resolveConfig(modelConfig)), {
    batchSize,
    adaptiveThreads: false,
  })
  try {
    for (let i = 0; trainer.threadsInUse !== threads; i++) {
      if (i === 500) throw new Error(`the fused trainer runs on ${trainer.threadsInUse} threads, not ${threads}`)
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    const pixels = 28 * 28
    const images = Float32Array.from({ length: batchSize * pixels }, (_, i) => ((i * 2654435761) % 1000) / 500 - 1)
    const labels = Array.from({ length: batchSize }, (_, i) => i % 10)
    const h = { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01 }
    const step = (s) => trainer.trainStep({ images, labels, dropoutSeed: s }, h)
    for (let s = 0; s < 10; s++) step(s) // warm-up
    let least = Infinity
    for (let r = 0; r < rounds; r++) {
      const t0 = clock()
      for (let s = 0; s < steps; s++) step(s)
      least = Math.min(least, (clock() - t0) / steps)
    }
    return least
  } finally {
    trainer.dispose()
  }
}
