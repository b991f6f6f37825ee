// The page every fixture builds: what an app does with the published packages, and nothing it would not do (no
// wasmUrl, no path to the weights, no bundler settings). The test calls window.fixture.run() through puppeteer.
import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-cpu'
import { loadPretrained, predict } from '@mnist/model'
import * as simd from '@mnist/backend-simd'

/** Polls until `check()` is true (workers start asynchronously), or `ms` have passed. */
async function until(check, ms) {
  const end = performance.now() + ms
  while (!check() && performance.now() < end) await new Promise((r) => setTimeout(r, 20))
}

function accuracy(model, images, labels) {
  const preds = predict(model, images)
  return preds.filter((p, i) => p.digit === labels[i]).length / labels.length
}

async function errorOf(promise) {
  try {
    await promise
    return undefined
  } catch (e) {
    return { name: e.name, code: e.code, message: e.message }
  }
}

async function run({ imagesBase64, labels }) {
  const bin = atob(imagesBase64)
  const images = Uint8Array.from(bin, (c) => c.charCodeAt(0))
  const out = { crossOriginIsolated: globalThis.crossOriginIsolated === true }

  await tf.setBackend('cpu')
  const t0 = performance.now()
  const { model, metadata } = await loadPretrained()
  out.loadMs = Math.round(performance.now() - t0)
  out.metadataEpochs = metadata?.epochs
  out.cpuAccuracy = accuracy(model, images, labels)

  // The simd backend as the app gets it: threads when the page is cross-origin isolated, one otherwise.
  simd.setThreadsCount(2)
  out.simdSet = await tf.setBackend('simd')
  out.simdLoadError = simd.simdLoadError()?.message
  const backend = simd.getSimdBackend()
  const want = out.crossOriginIsolated ? 2 : 1
  await until(() => backend !== undefined && backend.threads >= want, 10_000)
  out.backend = tf.getBackend()
  out.threads = backend?.threads
  out.build = backend?.build
  out.simdAccuracy = accuracy(model, images, labels)
  model.dispose()

  // A wasm file that is not there: the package's own error, and tfjs goes on with the next backend by itself.
  simd.registerSimdBackend({ wasmUrl: (file) => `/no-such-folder/${file}` })
  out.badSimdSet = await tf.setBackend('simd')
  out.badSimdError = simd.simdLoadError()?.message
  const sum = tf.add(tf.scalar(1), tf.scalar(2))
  out.afterFailure = { backend: tf.getBackend(), sum: (await sum.data())[0] }
  sum.dispose()
  simd.registerSimdBackend()

  // Weights from a URL that serves the app's page instead: the error says so.
  out.badUrlError = await errorOf(loadPretrained({ url: '/no-such-folder/pretrained/' }))
  return out
}

globalThis.fixture = { run }
globalThis.fixtureReady = true
