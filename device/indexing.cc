#include "device/indexing.h"

#include <cctype>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "device/status_macros.h"

namespace tensord::device {
namespace {

absl::Status Bad(absl::string_view text, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(
      "malformed index '", text, "': ", why,
      "; write it as Python does between brackets, e.g. \":, 1\", \"1:3, ::2\", \"..., -1\""));
}

absl::StatusOr<std::optional<int64_t>> ParseBound(absl::string_view whole, absl::string_view part) {
  part = absl::StripAsciiWhitespace(part);
  if (part.empty() || part == "None") return std::optional<int64_t>();
  int64_t v = 0;
  if (!absl::SimpleAtoi(part, &v)) return Bad(whole, absl::StrCat("'", part, "' is not an integer"));
  return std::optional<int64_t>(v);
}

}  // namespace

absl::StatusOr<std::vector<IndexItem>> ParseIndex(absl::string_view text) {
  std::vector<IndexItem> items;
  if (absl::StripAsciiWhitespace(text).empty()) return Bad(text, "it is empty");
  bool ellipsis = false;
  const std::vector<absl::string_view> parts = absl::StrSplit(text, ',');
  for (size_t i = 0; i < parts.size(); ++i) {
    absl::string_view part = absl::StripAsciiWhitespace(parts[i]);
    IndexItem item;
    if (part.empty()) {
      // Python allows one trailing comma, as in "1,".
      if (i + 1 == parts.size() && i > 0) continue;
      return Bad(text, "an entry between commas is empty");
    }
    if (part == "..." || part == "Ellipsis") {
      if (ellipsis) return Bad(text, "an index can only have a single ellipsis ('...')");
      ellipsis = true;
      item.kind = IndexItem::Kind::kEllipsis;
    } else if (part == "None") {
      item.kind = IndexItem::Kind::kNone;
    } else if (part.find(':') != absl::string_view::npos) {
      std::vector<absl::string_view> bounds = absl::StrSplit(part, ':');
      if (bounds.size() > 3) return Bad(text, absl::StrCat("'", part, "' has too many ':'"));
      item.kind = IndexItem::Kind::kSlice;
      TD_ASSIGN_OR_RETURN(item.start, ParseBound(text, bounds[0]));
      TD_ASSIGN_OR_RETURN(item.stop, ParseBound(text, bounds[1]));
      if (bounds.size() == 3) {
        TD_ASSIGN_OR_RETURN(item.step, ParseBound(text, bounds[2]));
        if (item.step.has_value() && *item.step <= 0) {
          return Bad(text, "slice steps must be positive (PyTorch does not support negative steps)");
        }
      }
    } else {
      item.kind = IndexItem::Kind::kInteger;
      if (!absl::SimpleAtoi(part, &item.index)) {
        return Bad(text, absl::StrCat("'", part, "' is not an integer, slice, '...' or None"));
      }
    }
    items.push_back(item);
  }
  return items;
}

absl::StatusOr<Tensor> ApplyIndex(const Tensor& t, const std::vector<IndexItem>& items) {
  int64_t consumed = 0;  // dims of t the items address
  for (const IndexItem& it : items) {
    if (it.kind == IndexItem::Kind::kInteger || it.kind == IndexItem::Kind::kSlice) ++consumed;
  }
  if (consumed > t.dim()) {
    return absl::InvalidArgumentError(absl::StrCat("too many indices for tensor of dimension ",
                                                   t.dim(), " (got ", consumed, ")"));
  }
  Tensor out = t;
  int64_t dim = 0;  // current dim of `out`
  for (const IndexItem& it : items) {
    switch (it.kind) {
      case IndexItem::Kind::kInteger: {
        TD_ASSIGN_OR_RETURN(out, out.Select(dim, it.index));
        break;
      }
      case IndexItem::Kind::kSlice: {
        TD_ASSIGN_OR_RETURN(out, out.Slice(dim, it.start.value_or(0),
                                           it.stop.value_or(INT64_MAX), it.step.value_or(1)));
        ++dim;
        break;
      }
      case IndexItem::Kind::kNone: {
        TD_ASSIGN_OR_RETURN(out, out.Unsqueeze(dim));
        ++dim;
        break;
      }
      case IndexItem::Kind::kEllipsis:
        dim += t.dim() - consumed;
        break;
    }
  }
  return out;
}

}  // namespace tensord::device
