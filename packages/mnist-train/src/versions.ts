import { createRequire } from 'node:module'

const localRequire = createRequire(import.meta.url)

/** Installed as dependencies of @mnist/backends, not of this package: resolved from there. */
const VIA_BACKENDS = new Set<string>([
  '@tensorflow/tfjs-backend-wasm',
  '@tensorflow/tfjs-backend-webgpu',
  '@tensorflow/tfjs-node',
  '@tensorflow/tfjs-node-gpu',
  'webgpu',
])

/** The packages training depends on, in the order `mnist info` lists them. */
const PACKAGES = [
  '@mnist/train',
  '@mnist/model',
  '@mnist/data',
  '@mnist/eval',
  '@mnist/backend-simd',
  '@mnist/backends',
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
  const backendsRequire = requireFrom('@mnist/backends/package.json')
  for (const name of PACKAGES) {
    try {
      const file = name === '@mnist/train' ? '../package.json' : `${name}/package.json`
      const from = VIA_BACKENDS.has(name) ? backendsRequire : localRequire
      out[name] = (from(file) as { version: string }).version
    } catch {
      out[name] = 'not installed'
    }
  }
  return out
}

/** A `require` that resolves from the folder of an installed package (this package's own as a fallback). */
function requireFrom(packageJson: string): NodeRequire {
  try {
    return createRequire(localRequire.resolve(packageJson))
  } catch {
    return localRequire
  }
}
