// The published manifests keep a plain `npm i` small and with one tfjs (issue #12): the heavy optional backends
// (Dawn, libtensorflow) are optional peer dependencies, never regular or optional dependencies (npm installs those);
// libraries take tfjs-core and tfjs-layers as peers; and whoever depends on a library provides its required peers.
import { readdirSync, readFileSync, existsSync } from 'node:fs'

const OPTIONAL_ONLY = [
  'webgpu',
  '@tensorflow/tfjs-backend-webgpu',
  '@tensorflow/tfjs-node',
  '@tensorflow/tfjs-node-gpu',
]
const PEERS_IN_LIBRARIES = ['@tensorflow/tfjs-core', '@tensorflow/tfjs-layers']

const manifests = new Map()
for (const root of ['packages', 'apps']) {
  for (const dir of readdirSync(root)) {
    const file = `${root}/${dir}/package.json`
    if (!existsSync(file)) continue
    const pkg = JSON.parse(readFileSync(file, 'utf8'))
    if (!pkg.private) manifests.set(pkg.name, { file, pkg, library: root === 'packages' })
  }
}

const problems = []
for (const { file, pkg, library } of manifests.values()) {
  const deps = { ...pkg.dependencies, ...pkg.optionalDependencies }
  for (const name of OPTIONAL_ONLY) {
    if (name in deps) problems.push(`${file}: ${name} is installed by default; make it an optional peer dependency`)
    if (name in (pkg.peerDependencies ?? {}) && pkg.peerDependenciesMeta?.[name]?.optional !== true) {
      problems.push(`${file}: peer dependency ${name} must be optional (peerDependenciesMeta)`)
    }
  }
  if (library) {
    for (const name of PEERS_IN_LIBRARIES) {
      if (name in deps) problems.push(`${file}: ${name} must be a peer dependency of a library, not a dependency`)
    }
  }
  // Required peers of the workspace libraries it depends on: provided (dependency) or passed on (peer).
  for (const dep of Object.keys(pkg.dependencies ?? {})) {
    const lib = manifests.get(dep)?.pkg
    for (const peer of Object.keys(lib?.peerDependencies ?? {})) {
      if (lib.peerDependenciesMeta?.[peer]?.optional) continue
      if (!(peer in (pkg.dependencies ?? {})) && !(peer in (pkg.peerDependencies ?? {}))) {
        problems.push(`${file}: depends on ${dep}, which needs ${peer}: list it in dependencies or peerDependencies`)
      }
    }
  }
}
for (const p of problems) console.error(p)
if (problems.length > 0) process.exit(1)
console.log(`manifests: ${manifests.size} published packages, heavy backends optional, tfjs peers provided`)
