// The primitive operations a backend implements. Each composite op is
// written in terms of these, so a new backend only implements this list.
#ifndef TENSORD_DEVICE_PRIMITIVES_H_
#define TENSORD_DEVICE_PRIMITIVES_H_

namespace tensord::device {

// Enumerators are grouped by kind, one group a line.
// clang-format off
// Each writes its input's dtype. Which element types an op accepts is the
// kernel's business (the float functions take floating-point inputs only).
enum class UnaryOp {
  kNeg, kAbs, kExp, kLog, kSqrt,
  kSign, kLog1p, kExpm1, kRsqrt, kReciprocal, kSin, kCos, kTanh, kSigmoid,
  kRelu, kGelu, kGeluTanh, kSilu, kFloor, kCeil, kRound,  // kRound: half to even
  kLogicalNot,  // 1 where the input is zero, else 0
};

// The logical ops and the comparisons (kept last, in that order) write
// bool; the rest write their inputs' dtype. Integer kDiv truncates.
enum class BinaryOp {
  kAdd, kSub, kMul, kDiv, kMaximum, kMinimum,
  kDivTrunc, kDivFloor,  // torch.div rounding modes; kDivFloor is also floor_divide
  kRemainder,            // Python's %: the result takes the divisor's sign
  kPow, kAtan2,
  kClampMin, kClampMax,  // max(a, b) / min(a, b) that keep a when b is NaN, as torch.clamp
  kLogicalAnd, kLogicalOr, kLogicalXor,
  kEq, kNe, kLt, kLe, kGt, kGe,
};
// clang-format on

inline bool IsComparison(BinaryOp op) { return op >= BinaryOp::kEq; }
// Whether the op writes bool rather than its inputs' dtype.
inline bool WritesBool(BinaryOp op) { return op >= BinaryOp::kLogicalAnd; }

enum class ReduceOp { kSum, kProd, kMax, kMin };

// How Scatter combines a source element with the destination.
enum class ScatterMode { kAssign, kAdd };

// kUniform: [p0, p1). kNormal: mean p0, std p1.
enum class RandomOp { kUniform, kNormal };

}  // namespace tensord::device

#endif  // TENSORD_DEVICE_PRIMITIVES_H_
