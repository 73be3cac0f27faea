#include "autograd/attrs.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "device/device.h"

namespace tensord::autograd {

absl::string_view AttrTypeName(AttrType t) {
  switch (t) {
    case AttrType::kInt: return "int";
    case AttrType::kFloat: return "float";
    case AttrType::kBool: return "bool";
    case AttrType::kString: return "string";
    case AttrType::kInts: return "ints";
    case AttrType::kFloats: return "floats";
    case AttrType::kDType: return "dtype";
    case AttrType::kScalar: return "scalar";
    case AttrType::kDevice: return "device";
  }
  return "unknown";
}

std::string AttrValueToString(const AttrValue& v) {
  struct Visitor {
    std::string operator()(int64_t i) const { return absl::StrCat(i); }
    std::string operator()(double f) const { return absl::StrCat(f); }
    std::string operator()(bool b) const { return b ? "True" : "False"; }
    std::string operator()(const std::string& s) const { return s; }
    std::string operator()(const std::vector<int64_t>& l) const {
      return absl::StrCat("[", absl::StrJoin(l, ", "), "]");
    }
    std::string operator()(const std::vector<double>& l) const {
      return absl::StrCat("[", absl::StrJoin(l, ", "), "]");
    }
    std::string operator()(device::DType d) const { return device::TorchName(d); }
  };
  return std::visit(Visitor{}, v);
}

namespace {

absl::string_view KindOf(const AttrValue& v) {
  switch (v.index()) {
    case 0: return "int";
    case 1: return "float";
    case 2: return "bool";
    case 3: return "string";
    case 4: return "ints";
    case 5: return "floats";
    default: return "dtype";
  }
}

// Converts a given value to the declared type where Python would accept it.
absl::StatusOr<AttrValue> Convert(const AttrValue& v, AttrType type) {
  switch (type) {
    case AttrType::kInt:
      if (std::holds_alternative<int64_t>(v)) return v;
      break;
    case AttrType::kFloat:
      if (auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
      if (std::holds_alternative<double>(v)) return v;
      break;
    case AttrType::kBool:
      if (std::holds_alternative<bool>(v)) return v;
      break;
    case AttrType::kScalar:
      if (std::holds_alternative<int64_t>(v) || std::holds_alternative<double>(v) ||
          std::holds_alternative<bool>(v)) {
        return v;
      }
      break;
    case AttrType::kString:
      if (std::holds_alternative<std::string>(v)) return v;
      break;
    case AttrType::kDevice:
      if (auto* s = std::get_if<std::string>(&v)) {
        absl::StatusOr<device::Device> d = device::Device::Parse(*s);
        if (!d.ok()) return d.status();
        return v;
      }
      break;
    case AttrType::kInts:
      if (auto* i = std::get_if<int64_t>(&v)) return std::vector<int64_t>{*i};
      if (std::holds_alternative<std::vector<int64_t>>(v)) return v;
      break;
    case AttrType::kFloats:
      if (auto* f = std::get_if<double>(&v)) return std::vector<double>{*f};
      if (auto* l = std::get_if<std::vector<int64_t>>(&v)) {
        return std::vector<double>(l->begin(), l->end());
      }
      if (std::holds_alternative<std::vector<double>>(v)) return v;
      break;
    case AttrType::kDType:
      if (std::holds_alternative<device::DType>(v)) return v;
      if (auto* s = std::get_if<std::string>(&v)) {
        absl::StatusOr<device::DType> d = device::ParseDType(*s);
        if (!d.ok()) return d.status();
        return *d;
      }
      break;
  }
  return absl::InvalidArgumentError(absl::StrCat("expected ", AttrTypeName(type), ", got ",
                                                 KindOf(v), " ", AttrValueToString(v)));
}

}  // namespace

absl::StatusOr<Attrs> Attrs::Bind(absl::string_view op, const std::vector<AttrDef>& defs,
                                  const std::map<std::string, AttrValue>& given) {
  Attrs out;
  for (const auto& [name, value] : given) {
    const AttrDef* def = nullptr;
    for (const AttrDef& d : defs) {
      if (d.name == name) def = &d;
    }
    if (def == nullptr) {
      std::vector<std::string> names;
      for (const AttrDef& d : defs) names.push_back(d.name);
      return absl::InvalidArgumentError(absl::StrCat(
          op, "() got an unexpected attribute '", name, "'; it takes: ",
          names.empty() ? "no attributes" : absl::StrJoin(names, ", "),
          " (tensorctl help ", op, " describes them)"));
    }
    absl::StatusOr<AttrValue> v = Convert(value, def->type);
    if (!v.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(op, "(): attribute '", name, "': ", v.status().message()));
    }
    out.values_[name] = *std::move(v);
  }
  for (const AttrDef& d : defs) {
    if (out.values_.contains(d.name)) continue;
    if (d.default_value.has_value()) {
      out.values_[d.name] = *d.default_value;
    } else if (!d.optional) {
      return absl::InvalidArgumentError(absl::StrCat(op, "() missing required attribute '",
                                                     d.name, "' (", AttrTypeName(d.type), ")"));
    }
  }
  return out;
}

device::Scalar Attrs::Scalar(const std::string& name) const {
  const AttrValue& v = values_.at(name);
  if (auto* i = std::get_if<int64_t>(&v)) return device::Scalar(*i);
  if (auto* f = std::get_if<double>(&v)) return device::Scalar(*f);
  return device::Scalar(std::get<bool>(v));
}

std::optional<device::DType> Attrs::DType(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return std::get<device::DType>(it->second);
}

}  // namespace tensord::autograd
