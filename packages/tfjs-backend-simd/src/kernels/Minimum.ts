import { binaryConfig } from './_elementwise'
export const minimumConfig = binaryConfig('Minimum')
