// The suite bundle: the setup above, then every spec tfjs-core ships (dist/tests.js imports each *_test.js).
import './setup'
import '@tensorflow/tfjs-core/dist/tests'
