import { bench, describe } from 'vitest'
import { loadMnist } from '../src/load'

// Target (issue 2): loading and verifying all four MNIST files from a local folder in under 1 s on the 2-core box.
const dataDir = process.env.MNIST_DATA_DIR
if (!dataDir) throw new Error('MNIST_DATA_DIR must point at the four MNIST files for this benchmark')

describe('loadMnist from MNIST_DATA_DIR', () => {
  bench(
    'read + gunzip + SHA-256 verify + parse, all four files',
    async () => {
      const data = await loadMnist({ dataDir })
      if (data.train.count !== 60000 || !data.verified) throw new Error('unexpected result')
    },
    { iterations: 5, time: 0, warmupIterations: 1 },
  )
})
