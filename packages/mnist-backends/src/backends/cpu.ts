import { registerCpuTrainingKernels } from '../kernels/cpu-kernels'
import { firstLine } from '../_first-line'
import type { BackendDescriptor } from '../types'

const FIX = 'reinstall @tensorflow/tfjs-backend-cpu'

/** Stock tfjs-backend-cpu with our fast `Conv2DBackpropFilter`: plain JavaScript, always there, the last resort. */
export const cpuBackend: BackendDescriptor = {
  name: 'cpu',
  priority: 10,
  fix: FIX,
  probe: async () => {
    try {
      await import('@tensorflow/tfjs-backend-cpu')
    } catch (error) {
      const reason = `@tensorflow/tfjs-backend-cpu could not be loaded: ${firstLine(error)}`
      return { ok: false, reason, fix: FIX, cause: error }
    }
    registerCpuTrainingKernels()
    return { ok: true, tfBackend: 'cpu', device: async () => 'JavaScript (tfjs-backend-cpu, 1 thread)' }
  },
}
