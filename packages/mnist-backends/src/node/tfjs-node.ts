import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import { firstLine } from '../_first-line'
import { NODE, NODE_GPU, NODE_GPU_INSTALL, NODE_INSTALL } from '../backends/native'
import type { BackendDescriptor, Probe } from '../types'

const localRequire = createRequire(import.meta.url)

/** libtensorflow with CUDA (@tensorflow/tfjs-node-gpu). */
export const nodeGpuBackend: BackendDescriptor = {
  ...NODE_GPU,
  probe: async () =>
    probeTfjsNode(
      '@tensorflow/tfjs-node-gpu',
      NODE_GPU.fix,
      NODE_GPU_INSTALL,
      'libtensorflow with CUDA (tfjs-node-gpu)',
    ),
}

/** libtensorflow on the CPU (@tensorflow/tfjs-node). */
export const nodeBackend: BackendDescriptor = {
  ...NODE,
  probe: async () =>
    probeTfjsNode('@tensorflow/tfjs-node', NODE.fix, NODE_INSTALL, 'libtensorflow on the CPU (tfjs-node)'),
}

/**
 * tfjs-node(-gpu): look for the native addon before requiring the package, so a missing addon costs nothing and the
 * reason is one line (the package's own error is a paragraph). Requiring it registers the `tensorflow` backend.
 */
function probeTfjsNode(pkg: string, fix: string, install: string, device: string): Probe {
  let pkgJson: string
  try {
    pkgJson = localRequire.resolve(`${pkg}/package.json`)
  } catch (error) {
    return { ok: false, reason: `${pkg} is not installed`, fix: install, cause: error }
  }
  const addon = findAddon(pkg, pkgJson, fix)
  if (addon !== undefined) return addon
  try {
    localRequire(pkg)
  } catch (error) {
    return { ok: false, reason: `${pkg} failed to load: ${firstLine(error)}`, fix, cause: error }
  }
  if (tf.findBackendFactory('tensorflow') == null) {
    return {
      ok: false,
      reason:
        `${pkg} loaded but registered no "tensorflow" backend on this copy of @tensorflow/tfjs-core ` +
        '(two tfjs-core copies?)',
      fix: 'make sure a single @tensorflow/tfjs-core 4.22.0 is installed',
    }
  }
  return { ok: true, tfBackend: 'tensorflow', device: async () => device }
}

/** A failed probe when the native addon is missing, `undefined` when it is there. */
function findAddon(pkg: string, pkgJson: string, fix: string): Extract<Probe, { ok: false }> | undefined {
  try {
    const pkgRequire = createRequire(pkgJson)
    const preGyp = pkgRequire('@mapbox/node-pre-gyp') as { find(packageJsonPath: string): string }
    const binding = preGyp.find(pkgJson)
    if (existsSync(binding)) return undefined
    const rel = path.relative(path.dirname(pkgJson), binding)
    const reason = `${pkg} is installed but its native addon (${rel}) is missing: its install script could not download libtensorflow`
    return { ok: false, reason, fix }
  } catch (error) {
    return { ok: false, reason: `${pkg}: cannot locate its native addon: ${firstLine(error)}`, fix, cause: error }
  }
}
