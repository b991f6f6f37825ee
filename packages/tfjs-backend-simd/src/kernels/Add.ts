import { binaryConfig } from './_elementwise'
export const addConfig = binaryConfig('Add')
