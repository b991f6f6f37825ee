import type { BackendDescriptor } from '../types'

/** What every entry knows about the backends that need Node.js: name, rank for `auto`, and the fix. */
type NativeInfo = Pick<BackendDescriptor, 'name' | 'priority' | 'fix'>

export const NODE_GPU: NativeInfo = {
  name: 'node-gpu',
  priority: 60,
  fix:
    'install @tensorflow/tfjs-node-gpu with internet access on a Linux machine with CUDA 11.8 and cuDNN 8 (its ' +
    'install script downloads libtensorflow), or select another backend (auto picks the fastest that works)',
}

export const NODE: NativeInfo = {
  name: 'node',
  priority: 50,
  fix:
    'reinstall @tensorflow/tfjs-node with internet access (its install script downloads libtensorflow) or build its ' +
    'addon from source, or select another backend (auto picks the fastest that works)',
}

export const WEBGPU: NativeInfo = {
  name: 'webgpu',
  priority: 40,
  fix:
    'use a GPU with a Vulkan, Metal or D3D12 driver that Dawn (npm package "webgpu") can open; for a software ' +
    'adapter allow one explicitly with Mesa set up (EGL_PLATFORM=surfaceless MNIST_WEBGPU_BACKEND=opengles: llvmpipe ' +
    'over OpenGL ES, or Mesa >= 25 lavapipe), or select another backend (auto picks the fastest that works)',
}

const OTHER = 'or select another backend (auto picks the fastest that works)'

/**
 * The fix when an optional peer dependency is not installed: the npm packages to add next to @mnist/backends (they are
 * left out of a plain install: tfjs-node downloads libtensorflow, Dawn weighs ~130 MB).
 */
export function installFix(packages: readonly string[], note = ''): string {
  const what = packages.length === 1 ? 'the optional peer dependency' : 'the optional peer dependencies'
  return `install ${what} of @mnist/backends: npm i ${packages.join(' ')}${note}, ${OTHER}`
}

/** How to enable each native backend when its packages are missing. */
export const NODE_GPU_INSTALL = installFix(
  ['@tensorflow/tfjs-node-gpu'],
  ' (Linux with CUDA 11.8 and cuDNN 8; its install script downloads libtensorflow)',
)
export const NODE_INSTALL = installFix(['@tensorflow/tfjs-node'], ' (its install script downloads libtensorflow)')
export const WEBGPU_PACKAGES = ['webgpu', '@tensorflow/tfjs-backend-webgpu'] as const
export const WEBGPU_INSTALL = installFix(WEBGPU_PACKAGES)

/** The browser entry's stand-in for a backend that only the Node entry can probe: listed, never available. */
export function nodeOnly(info: NativeInfo): BackendDescriptor {
  return {
    ...info,
    probe: async () => ({
      ok: false,
      reason: 'needs Node.js (this is the browser build of @mnist/backends)',
      fix: 'run in Node.js, or select the simd, wasm or cpu backend',
    }),
  }
}
