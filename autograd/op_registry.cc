#include "autograd/op_registry.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace tensord::autograd {

OpRegistry& OpRegistry::Global() {
  static OpRegistry* registry = new OpRegistry;
  return *registry;
}

void OpRegistry::Register(OpDef op) {
  if (op.inplace_variant) {
    OpDef inplace = op;
    inplace.name = op.name + "_";
    inplace.doc = absl::StrCat("In-place ", op.name, ": writes the result into the first input.");
    inplace.inplace_variant = false;
    inplace.supports_out = false;
    inplace.inplace_of = op.name;
    Register(std::move(inplace));
  }
  if (ops_.contains(op.name)) {
    std::fprintf(stderr, "op '%s' registered twice\n", op.name.c_str());
    std::abort();
  }
  std::string name = op.name;
  ops_[name] = std::make_unique<OpDef>(std::move(op));
}

absl::StatusOr<const OpDef*> OpRegistry::Find(absl::string_view name) const {
  auto it = ops_.find(name);
  if (it == ops_.end()) {
    return absl::NotFoundError(
        absl::StrCat("unknown op '", name, "': `tensorctl ops` lists the ops this daemon has"));
  }
  return it->second.get();
}

std::vector<const OpDef*> OpRegistry::List() const {
  std::vector<const OpDef*> out;
  for (const auto& [name, op] : ops_) out.push_back(op.get());
  std::sort(out.begin(), out.end(), [](const OpDef* a, const OpDef* b) { return a->name < b->name; });
  return out;
}

}  // namespace tensord::autograd
