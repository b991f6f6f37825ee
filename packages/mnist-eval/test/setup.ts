// Every test file runs on the pure-JS CPU backend (the same @tensorflow/tfjs-core copy as the package itself).
import '@tensorflow/tfjs-backend-cpu'
import * as tf from '@tensorflow/tfjs-core'

await tf.setBackend('cpu')
await tf.ready()
