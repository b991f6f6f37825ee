// One candidate of the recipe search: train on the first 50,000 training images, validate on the last 10,000 (the
// test set is not read), one line per epoch into logs/NAME.log, then the noise robustness of the final weights on the
// validation images (Gaussian sigma 0.3 and salt-and-pepper 10 %, @mnist/eval's `noiseRobustness`, seed 42). Build first (pnpm build), then from this folder:
//   MNIST_DATA_DIR=/path/to/mnist node sweep.mjs NAME '{"epochs":20,"augment":true}' [threads]
// The JSON is a TrainConfigInput (`model` may carry another architecture). The same split from the shell:
//   mnist train --preset best --validation 10000 --backend simd
import fs from 'node:fs'
import { createRequire } from 'node:module'

const req = createRequire(new URL('../../packages/mnist-train/package.json', import.meta.url))
const { train } = await import(req.resolve('@mnist/train'))
const { loadMnist } = await import(req.resolve('@mnist/data'))
const evalReq = createRequire(new URL('../../packages/mnist-eval/package.json', import.meta.url))
const { noiseRobustness } = await import(evalReq.resolve('@mnist/eval'))
const [name, json, threads = '1'] = process.argv.slice(2)
const config = JSON.parse(json)
const d = await loadMnist({ dataDir: process.env.MNIST_DATA_DIR })
const px = d.train.rows * d.train.cols
// In memory, as the search ran it; `train({ validation: 10000 })` makes the same split from the loaded data.
const cut = (from, to) => ({
  images: d.train.images.slice(from * px, to * px),
  labels: d.train.labels.slice(from, to),
  count: to - from,
  rows: d.train.rows,
  cols: d.train.cols,
})
fs.mkdirSync(new URL('logs/', import.meta.url), { recursive: true })
const log = (s) => fs.appendFileSync(new URL(`logs/${name}.log`, import.meta.url), s + '\n')
log(`# ${name} ${json} threads ${threads} start ${new Date().toISOString()}`)
const t0 = Date.now()
const validation = cut(50000, 60000)
const r = await train({
  data: { train: cut(0, 50000), test: validation },
  keepModel: true,
  backend: 'simd',
  threads: Number(threads),
  config,
  save: false,
  onStart: (i) => log(`params ${i.params} engine ${i.stepEngine} ${i.stepEngineReason ?? ''}`),
  onEpochEnd: (e) =>
    log(
      `epoch ${e.epoch} val ${(e.testAccuracy * 100).toFixed(2)} loss ${e.testLoss.toFixed(4)} ` +
        `train ${(e.trainAccuracy * 100).toFixed(2)} t ${((Date.now() - t0) / 1000).toFixed(0)}s`,
    ),
})
log(`FINAL ${name} val ${(r.testAccuracy * 100).toFixed(2)} epochs ${r.epochs} seconds ${r.seconds.toFixed(0)}`)
const noise = await noiseRobustness(r.model, validation, { sigmas: [0.3], saltPepperRates: [0.1], seed: 42 })
r.model.dispose()
log(
  `NOISE ${name} val sigma 0.3 ${(noise.gaussian[0].accuracy * 100).toFixed(2)} ` +
    `salt-and-pepper 0.1 ${(noise.saltPepper[0].accuracy * 100).toFixed(2)}`,
)
