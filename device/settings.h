// Process-wide numerics settings, the ones PyTorch keeps as globals under
// torch.backends. Backends read them at each call; the daemon sets them
// from its flags at start-up.
#ifndef TENSORD_DEVICE_SETTINGS_H_
#define TENSORD_DEVICE_SETTINGS_H_

namespace tensord::device {

// torch.backends.cuda.matmul.allow_tf32: float32 matrix products on CUDA
// may run on TF32 tensor cores (10-bit mantissa inputs, float32
// accumulation). Off by default, as in PyTorch since 1.12.
void SetAllowTf32(bool allow);
bool AllowTf32();

}  // namespace tensord::device

#endif  // TENSORD_DEVICE_SETTINGS_H_
