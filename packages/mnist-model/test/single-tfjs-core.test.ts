import { realpathSync } from 'node:fs'
import { createRequire } from 'node:module'
import * as tfc from '@tensorflow/tfjs-core'
import { describe, expect, it } from 'vitest'
import { createModel, predict } from '../src/index'

const here = createRequire(import.meta.url)
const coreFrom = (pkg: string): string =>
  realpathSync(createRequire(here.resolve(pkg)).resolve('@tensorflow/tfjs-core'))

describe('one copy of @tensorflow/tfjs-core', () => {
  it('this package, tfjs-layers, tfjs and tfjs-backend-cpu resolve the same tfjs-core file', () => {
    const mine = realpathSync(here.resolve('@tensorflow/tfjs-core'))
    for (const pkg of ['@tensorflow/tfjs-layers', '@tensorflow/tfjs', '@tensorflow/tfjs-backend-cpu']) {
      expect(coreFrom(pkg), pkg).toBe(mine)
    }
  })

  it('tensors made by the caller are recognised by the package (same Tensor class)', () => {
    const model = createModel({ seed: 1 })
    const x = tfc.zeros([2, 28, 28, 1])
    expect(predict(model, x)).toHaveLength(2)
    x.dispose()
    model.dispose()
  })
})
