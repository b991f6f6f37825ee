import { UnsupportedEnvironmentError } from './errors'

type FsPromises = typeof import('node:fs/promises')
type NodePath = typeof import('node:path')
type NodeUrl = typeof import('node:url')

export interface NodeModules {
  fs: FsPromises
  path: NodePath
  url: NodeUrl
}

export function isNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions === 'object' && process.versions?.node != null
}

let cached: Promise<NodeModules> | undefined

// Specifiers in variables: bundlers (esbuild, Rollup, webpack, Vite) then leave the imports alone instead of
// failing to resolve Node built-ins in a browser build; the comments silence webpack's and Vite's warnings.
const FS = 'node:fs/promises'
const PATH = 'node:path'
const URL_MODULE = 'node:url'

/** Node built-ins, imported lazily so that browser bundles of this package never pull in `node:fs`. */
export function nodeModules(what: string): Promise<NodeModules> {
  if (!isNode()) return Promise.reject(new UnsupportedEnvironmentError(what))
  cached ??= Promise.all([
    import(/* webpackIgnore: true */ /* @vite-ignore */ FS) as Promise<FsPromises>,
    import(/* webpackIgnore: true */ /* @vite-ignore */ PATH) as Promise<NodePath>,
    import(/* webpackIgnore: true */ /* @vite-ignore */ URL_MODULE) as Promise<NodeUrl>,
  ]).then(([fs, path, url]) => ({ fs, path, url }))
  return cached
}
