import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-cpu'
import { beforeAll, describe, expect, it } from 'vitest'
import { AdamW } from './adamw'

beforeAll(async () => {
  tf.env().set('PROD', true)
  await tf.setBackend('cpu')
})

// By hand, PyTorch AdamW (1.13): p *= 1 - lr*wd; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
// p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps).
// Step 1 (lr 0.1, b1 0.9, wd 0.01), p = 1, g = 0.5: p = 0.999 - 1.0 * 0.05 / (0.5 + 1e-8) = 0.899000002.
// Step 2 (lr 0.05, b1 0.85 as a one-cycle schedule would set it), g = -0.2: m = 0.0125, v = 0.00028975,
// bc1 = 1 - 0.85^2 = 0.2775, bc2 = 1 - 0.999^2 = 0.001999, p = 0.8926347263793036.
// The second element has g = 0 on step 1 (only weight decay moves it), then g = 3.
const STEP1 = [0.899000002, -1.998]
const STEP2 = [0.8926347263793036, -2.0352134313003765]

describe.each(['js', 'tensor'] as const)('AdamW (%s implementation)', (implementation) => {
  it('matches hand-computed PyTorch AdamW steps, with lr and beta1 changed between steps', () => {
    const p = tf.variable(tf.tensor1d([1, -2]))
    const opt = new AdamW([p], {
      learningRate: 0.1,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-8,
      weightDecay: 0.01,
      implementation,
    })
    expect(opt.implementation).toBe(implementation)
    const g1 = tf.tensor1d([0.5, 0])
    opt.applyGradients([g1])
    const after1 = Array.from(p.dataSync())
    after1.forEach((v, i) => expect(v).toBeCloseTo(STEP1[i]!, 6))
    opt.learningRate = 0.05
    opt.beta1 = 0.85
    const g2 = tf.tensor1d([-0.2, 3])
    opt.applyGradients({ [p.name]: g2 })
    Array.from(p.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(STEP2[i]!, 6))
    expect(opt.step).toBe(2)
    tf.dispose([p, g1, g2])
    opt.dispose()
  })

  it('exports its state and resumes bit for bit', () => {
    const run = (split: boolean): Float32Array => {
      const p = tf.variable(
        tf.tensor2d([
          [0.3, -0.1],
          [0.7, 2],
        ]),
      )
      let opt = new AdamW([p], { learningRate: 0.01, implementation })
      const grads = [
        tf.tensor2d([
          [1, 2],
          [3, 4],
        ]),
        tf.tensor2d([
          [-1, 0.5],
          [0, 2],
        ]),
        tf.tensor2d([
          [0.1, 0.1],
          [-3, 1],
        ]),
      ]
      grads.forEach((g, i) => {
        if (split && i === 2) {
          const state = opt.getState()
          opt.dispose()
          opt = new AdamW([p], { learningRate: 0.01, implementation })
          opt.setState(state)
        }
        opt.applyGradients([g])
      })
      const out = p.dataSync().slice() as Float32Array
      tf.dispose([p, ...grads])
      opt.dispose()
      return out
    }
    expect(run(true)).toEqual(run(false))
  })

  it('does not leak tensors', () => {
    const p = tf.variable(tf.zeros([3, 3]))
    const opt = new AdamW([p], { learningRate: 0.01, implementation })
    const g = tf.ones([3, 3])
    opt.applyGradients([g])
    const before = tf.memory().numTensors
    for (let i = 0; i < 20; i++) opt.applyGradients([g])
    expect(tf.memory().numTensors).toBe(before)
    tf.dispose([p, g])
    opt.dispose()
  })
})

describe('AdamW validation', () => {
  it('names the bad option', () => {
    const p = tf.variable(tf.zeros([1]))
    expect(() => new AdamW([p], { learningRate: -1 })).toThrow(/option "learningRate"/)
    expect(() => new AdamW([p], { learningRate: 0.1, beta2: 1 })).toThrow(
      /option "beta2": expected a number in \[0, 1\)/,
    )
    const opt = new AdamW([p], { learningRate: 0.1 })
    expect(() =>
      opt.setState({ step: 1, slots: [{ name: 'x', shape: [2], m: new Float32Array(2), v: new Float32Array(2) }] }),
    ).toThrow(/optimizer\.slots\[0\]\.shape/)
    p.dispose()
  })
})
