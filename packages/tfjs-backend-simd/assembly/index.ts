// Entry of every wasm build: re-exports the kernels. Memory is imported and shared with the host and the
// worker threads; nothing here allocates, the host (src/heap.ts) owns the heap above __heap_base.
export { fill_f32, add_into_f32, copy_f32, transpose_f32 } from './_vec'
export { gemm_f32 } from './_gemm'
export { binary_f32, unary_f32, bias_act_f32 } from './_elementwise'
export { reduce_f32 } from './_reduce'
export { conv2d_f32 } from './Conv2D'
export { conv2d_backprop_filter_f32 } from './Conv2DBackpropFilter'
export { conv2d_backprop_input_f32 } from './Conv2DBackpropInput'
export {
  winograd_weights_f32, winograd_conv_f32, winograd_filter_grad_f32, winograd4_filter_grad_f32,
} from './Winograd3x3'
export { batch_norm_f32, batch_norm_coef_f32, batch_norm_grad_sums_f32 } from './FusedBatchNorm'
export { max_pool_f32, max_pool_grad_f32 } from './MaxPool'
export { tile_f32 } from './Tile'
export { global_avg_pool_f32, global_avg_pool_grad_f32 } from './GlobalAvgPool'
export {
  channel_sums_f32, scale_shift_act_f32, bn_act_pool_f32, bn_act_pool_grad_f32, bn_grad_sums_f32, bn_grad_f32, relu_grad_f32, dropout_mask_f32, dropout_grad_f32, adamw_f32, adamw_transpose_f32, dot_rows_f32, dense_dw_f32,
} from './FusedTraining'

export function heap_base(): usize {
  return __heap_base
}
