// The numbers both sides of the wasm boundary agree on: the op codes of the elementwise and reduce kernels and the
// layout of the i32 geometry block of the conv and pool kernels. One module, compiled into the wasm builds by
// AssemblyScript and imported by the TypeScript host (src/kernels/, src/fused/): plain integer constants only,
// so that it is valid in both languages (AssemblyScript inlines them; the .wasm files do not change).

// binary_f32 ops (assembly/_elementwise.ts)
export const OP_ADD = 0
export const OP_SUB = 1
export const OP_MUL = 2
export const OP_DIV = 3
export const OP_MAX = 4
export const OP_MIN = 5
export const OP_SQDIFF = 6
/** 2·a·b: the gradient of Square (dy, x). */
export const OP_SQUARE_GRAD = 7
/** a·step(b): the gradient of Relu (dy, x); NaN in b gives NaN as tfjs's mul(dy, step(x)) does. */
export const OP_RELU_GRAD = 8

// unary_f32 ops, and the activations of bias_act_f32 and the fused training kernels (U_LINEAR: none)
export const U_RELU = 0
export const U_NEG = 1
export const U_SQUARE = 2
export const U_SQRT = 3
export const U_RSQRT = 4
export const U_ABS = 5
export const U_STEP = 6
export const U_RECIPROCAL = 7
export const U_RELU6 = 8
/** alpha = the kernel's param */
export const U_LEAKY = 9
export const U_LINEAR = 10

// reduce_f32 ops (assembly/_reduce.ts)
export const R_SUM = 0
export const R_MAX = 1
export const R_MIN = 2
export const R_PROD = 3

// The geometry block of the conv and pool kernels (read by assembly/_im2col.ts g()): GEO_INTS i32 at these offsets.
export const GEO_N = 0
export const GEO_H = 1
export const GEO_W = 2
export const GEO_C = 3
export const GEO_OH = 4
export const GEO_OW = 5
export const GEO_OC = 6
export const GEO_FH = 7
export const GEO_FW = 8
export const GEO_SH = 9
export const GEO_SW = 10
/** Padding before the first row / column. */
export const GEO_PT = 11
export const GEO_PL = 12
export const GEO_DH = 13
export const GEO_DW = 14
export const GEO_INTS = 15
