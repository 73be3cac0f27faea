// The primitive operations a backend implements. Each composite op is
// written in terms of these, so a new backend only implements this list.
#ifndef TENSORD_DEVICE_PRIMITIVES_H_
#define TENSORD_DEVICE_PRIMITIVES_H_

namespace tensord::device {

enum class UnaryOp { kNeg, kAbs, kExp, kLog, kSqrt };

// Comparisons write bool; the rest write their inputs' dtype.
enum class BinaryOp { kAdd, kSub, kMul, kDiv, kMaximum, kMinimum, kEq, kNe, kLt, kLe, kGt, kGe };

inline bool IsComparison(BinaryOp op) { return op >= BinaryOp::kEq; }

enum class ReduceOp { kSum, kProd, kMax, kMin };

// How Scatter combines a source element with the destination.
enum class ScatterMode { kAssign, kAdd };

// kUniform: [p0, p1). kNormal: mean p0, std p1.
enum class RandomOp { kUniform, kNormal };

}  // namespace tensord::device

#endif  // TENSORD_DEVICE_PRIMITIVES_H_
