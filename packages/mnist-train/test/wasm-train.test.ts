import { describe, expect, it } from 'vitest'
import { train } from '../src/node-train'
import { subset, TINY_MODEL, weightsOf } from './helpers'

// Stock tfjs-backend-wasm cannot train a conv net (no Conv2DBackpropFilter); with ours it must follow cpu closely.
describe('training on wasm', () => {
  it('a few steps match cpu within tolerance', async () => {
    const data = await subset(128, 32)
    const run = async (backend: 'cpu' | 'wasm') => {
      const losses: number[] = []
      const r = await train({
        backend,
        data,
        save: false,
        keepModel: true,
        // No dropout: its masks are seeded identically on both backends, but keep the comparison about kernels only.
        config: { model: { ...TINY_MODEL, layers: TINY_MODEL.layers!.slice(0, -1) }, batchSize: 32, seed: 3 },
        onProgress: (p) => losses.push(p.loss),
      })
      const w = weightsOf(r.model!)
      r.model!.dispose()
      return { losses, w }
    }
    const cpu = await run('cpu')
    const wasm = await run('wasm')
    expect(wasm.losses).toHaveLength(4)
    wasm.losses.forEach((l, i) => expect(Math.abs(l - cpu.losses[i]!)).toBeLessThan(1e-4))
    let maxDiff = 0
    wasm.w.forEach((w, i) => w.forEach((v, k) => (maxDiff = Math.max(maxDiff, Math.abs(v - cpu.w[i]![k]!)))))
    expect(maxDiff).toBeLessThan(1e-3)
  })
})
