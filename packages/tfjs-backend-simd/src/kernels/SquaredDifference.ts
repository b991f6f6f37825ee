import { binaryConfig } from './_elementwise'
export const squaredDifferenceConfig = binaryConfig('SquaredDifference')
