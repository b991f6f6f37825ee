import { reduceConfig } from './_reduce'
export const minConfig = reduceConfig('Min')
