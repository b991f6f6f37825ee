// The pure-JS CPU backend for every test file (same @tensorflow/tfjs-core copy as the package itself).
import '@tensorflow/tfjs-backend-cpu'
import * as tfc from '@tensorflow/tfjs-core'

await tfc.setBackend('cpu')
await tfc.ready()
