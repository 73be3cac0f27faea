#include "server/proto_convert.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace tensord::server {

absl::StatusOr<device::DType> FromProto(v1::DType d) {
  if (d >= v1::FLOAT32 && d <= v1::BFLOAT16) return static_cast<device::DType>(d);
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown dtype value ", static_cast<int>(d),
      ": use one of float32, float64, int64, int32, bool, float16, bfloat16"));
}

v1::DType ToProto(device::DType d) { return static_cast<v1::DType>(d); }

absl::StatusOr<autograd::AttrValue> FromProto(const v1::AttrValue& v) {
  switch (v.value_case()) {
    case v1::AttrValue::kI: return autograd::AttrValue(v.i());
    case v1::AttrValue::kF: return autograd::AttrValue(v.f());
    case v1::AttrValue::kB: return autograd::AttrValue(v.b());
    case v1::AttrValue::kS: return autograd::AttrValue(v.s());
    case v1::AttrValue::kInts:
      return autograd::AttrValue(
          std::vector<int64_t>(v.ints().values().begin(), v.ints().values().end()));
    case v1::AttrValue::kFloats:
      return autograd::AttrValue(
          std::vector<double>(v.floats().values().begin(), v.floats().values().end()));
    case v1::AttrValue::kDtype: {
      absl::StatusOr<device::DType> d = FromProto(v.dtype());
      if (!d.ok()) return d.status();
      return autograd::AttrValue(*d);
    }
    case v1::AttrValue::VALUE_NOT_SET: break;
  }
  return absl::InvalidArgumentError("attribute has no value set");
}

absl::StatusOr<std::map<std::string, autograd::AttrValue>> FromProto(
    const google::protobuf::Map<std::string, v1::AttrValue>& attrs) {
  std::map<std::string, autograd::AttrValue> out;
  for (const auto& [name, value] : attrs) {
    absl::StatusOr<autograd::AttrValue> v = FromProto(value);
    if (!v.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("attribute '", name, "': ", v.status().message()));
    }
    out.emplace(name, *std::move(v));
  }
  return out;
}

}  // namespace tensord::server
