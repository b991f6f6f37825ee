import { describe, expect, it } from 'vitest'
import { oneCycle, type OneCycleOptions } from './schedule'

const base: OneCycleOptions = {
  maxLr: 0.02,
  totalSteps: 100,
  pctStart: 0.2,
  divFactor: 25,
  finalDivFactor: 1e4,
  annealStrategy: 'cos',
  cycleMomentum: true,
  baseMomentum: 0.85,
  maxMomentum: 0.95,
}

// Worked by hand from torch.optim.lr_scheduler.OneCycleLR (torch 1.13): initial = max/div = 8e-4, min = initial/1e4 = 8e-8,
// phase 1 ends at float(pct*total) - 1 = 19, phase 2 at total - 1 = 99, cos anneal end + (start-end)/2 * (cos(pi*pct)+1).
// e.g. step 10: pct = 10/19, cos(pi*10/19) = -0.08258, lr = 0.02 + (8e-4 - 0.02)/2 * 0.91742 = 0.0111928.
const expected: Array<[number, number, number]> = [
  [0, 0.0008, 0.95],
  [10, 0.01119276171653439, 0.8958710327263834],
  [19, 0.02, 0.85],
  [20, 0.019992290393245783, 0.8500385481879639],
  [50, 0.013461196726092646, 0.8826941471461254],
  [99, 8e-8, 0.95],
]

describe('oneCycle (PyTorch OneCycleLR)', () => {
  it.each(expected)('step %i: lr %f, beta1 %f', (step, lr, beta1) => {
    const v = oneCycle(step, base)
    expect(v.learningRate).toBeCloseTo(lr, 12)
    expect(v.beta1).toBeCloseTo(beta1, 12)
  })

  it('matches a one-epoch MNIST run (938 steps, pct_start 0.2; the phase boundary is fractional: 186.6)', () => {
    const o = { ...base, totalSteps: 938 }
    expect(oneCycle(186, o).learningRate).toBeCloseTo(0.019999510202559103, 12)
    expect(oneCycle(187, o).learningRate).toBeCloseTo(0.019999985978249247, 12)
    expect(oneCycle(187, o).beta1).toBeCloseTo(0.8500000701090342, 12)
    expect(oneCycle(500, o).learningRate).toBeCloseTo(0.012558552770482657, 12)
    expect(oneCycle(937, o).learningRate).toBeCloseTo(8e-8, 15)
  })

  it('linear annealing', () => {
    const o = { ...base, annealStrategy: 'linear' as const }
    expect(oneCycle(10, o).learningRate).toBeCloseTo(0.010905263157894737, 12)
    expect(oneCycle(60, o).learningRate).toBeCloseTo(0.009750041, 12)
    expect(oneCycle(60, o).beta1).toBeCloseTo(0.90125, 12)
  })

  it('leaves beta1 alone without momentum cycling', () => {
    expect(oneCycle(5, { ...base, cycleMomentum: false }).beta1).toBeUndefined()
  })

  it('survives a one-step warm-up phase (PyTorch would divide by zero)', () => {
    const v = oneCycle(0, { ...base, totalSteps: 5 })
    expect(Number.isFinite(v.learningRate)).toBe(true)
    expect(v.learningRate).toBeCloseTo(0.02, 12)
  })

  it('rejects a step outside the run', () => {
    expect(() => oneCycle(100, base)).toThrow(/option "step": expected an integer in \[0, 99\]/)
    expect(() => oneCycle(-1, base)).toThrow(/InvalidTrainConfigError|step/)
  })
})
