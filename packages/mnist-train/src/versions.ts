import { createRequire } from 'node:module'

const localRequire = createRequire(import.meta.url)

/** The packages training depends on, in the order `mnist info` lists them. */
const PACKAGES = [
  '@mnist/train',
  '@mnist/model',
  '@mnist/data',
  '@mnist/eval',
  '@mnist/backend-simd',
  '@tensorflow/tfjs-core',
  '@tensorflow/tfjs-layers',
  '@tensorflow/tfjs-backend-cpu',
  '@tensorflow/tfjs-backend-wasm',
  '@tensorflow/tfjs-backend-webgpu',
  '@tensorflow/tfjs-node',
  '@tensorflow/tfjs-node-gpu',
  'webgpu',
] as const

/**
 * Versions of Node and of every package training uses, as installed (read from their package.json files);
 * a package that is not installed is reported as `"not installed"`.
 */
export function runtimeVersions(): Record<string, string> {
  const out: Record<string, string> = { node: process.versions.node }
  for (const name of PACKAGES) {
    try {
      const file = name === '@mnist/train' ? '../package.json' : `${name}/package.json`
      out[name] = (localRequire(file) as { version: string }).version
    } catch {
      out[name] = 'not installed'
    }
  }
  return out
}
