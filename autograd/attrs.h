// Typed op attributes: the values a caller passes by name, and the schema
// an op declares for them (type, default, doc), checked before the op runs.
#ifndef TENSORD_AUTOGRAD_ATTRS_H_
#define TENSORD_AUTOGRAD_ATTRS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "device/dtype.h"
#include "device/scalar.h"

namespace tensord::autograd {

// kScalar holds a Python number (int, float or bool); kDevice a device string.
enum class AttrType { kInt, kFloat, kBool, kString, kInts, kFloats, kDType, kScalar, kDevice };
absl::string_view AttrTypeName(AttrType t);

using AttrValue = std::variant<int64_t, double, bool, std::string, std::vector<int64_t>,
                               std::vector<double>, device::DType>;
std::string AttrValueToString(const AttrValue& v);

struct AttrDef {
  std::string name;
  AttrType type;
  // Absent and not optional: the caller must pass it.
  std::optional<AttrValue> default_value;
  bool optional = false;  // may be absent with no default (Python's None)
  std::string doc;
};

// The checked attributes an op receives: every declared attr with a value
// or default, converted to its declared type.
class Attrs {
 public:
  // INVALID_ARGUMENT for unknown names, missing required attrs and values
  // that do not convert to the declared type.
  static absl::StatusOr<Attrs> Bind(absl::string_view op, const std::vector<AttrDef>& defs,
                                    const std::map<std::string, AttrValue>& given);

  bool Has(const std::string& name) const { return values_.contains(name); }
  // The raw value (for attributes that may hold one int or a list).
  const AttrValue& Get(const std::string& name) const { return values_.at(name); }
  // Every bound value, defaults included (to call the op again).
  const std::map<std::string, AttrValue>& values() const { return values_; }
  int64_t Int(const std::string& name) const { return std::get<int64_t>(values_.at(name)); }
  double Float(const std::string& name) const { return std::get<double>(values_.at(name)); }
  bool Bool(const std::string& name) const { return std::get<bool>(values_.at(name)); }
  const std::string& String(const std::string& name) const {
    return std::get<std::string>(values_.at(name));
  }
  const std::vector<int64_t>& Ints(const std::string& name) const {
    return std::get<std::vector<int64_t>>(values_.at(name));
  }
  device::Scalar Scalar(const std::string& name) const;
  std::optional<device::DType> DType(const std::string& name) const;

 private:
  std::map<std::string, AttrValue> values_;
};

}  // namespace tensord::autograd

#endif  // TENSORD_AUTOGRAD_ATTRS_H_
