#include "device/literal.h"

#include <cctype>
#include <cmath>
#include <cstring>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "device/scalar.h"
#include "device/status_macros.h"

namespace tensord::device {
namespace {

class Parser {
 public:
  Parser(absl::string_view text, int64_t max_elements) : text_(text), max_(max_elements) {}

  absl::Status Parse() {
    TD_RETURN_IF_ERROR(Value(0));
    SkipSpace();
    if (pos_ != text_.size()) return Error("unexpected text after the literal");
    return absl::OkStatus();
  }
  const Shape& shape() const { return shape_; }
  const std::vector<Scalar>& values() const { return values_; }

 private:
  absl::Status Error(absl::string_view why) const {
    return absl::InvalidArgumentError(absl::StrCat(
        "malformed tensor literal at character ", pos_, ": ", why,
        "; write a number, True/False, or nested lists of them such as [[1, 2], [3, 4]]"));
  }
  void SkipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }

  // Parses a value at nesting `depth` and checks it against the shape seen
  // so far at that depth (lists must be rectangular).
  absl::Status Value(size_t depth) {
    SkipSpace();
    if (pos_ < text_.size() && (text_[pos_] == '[' || text_[pos_] == '(')) {
      const char close = text_[pos_] == '[' ? ']' : ')';
      ++pos_;
      if (depth > 64) return Error("lists nest too deeply");
      int64_t count = 0;
      SkipSpace();
      while (pos_ < text_.size() && text_[pos_] != close) {
        TD_RETURN_IF_ERROR(Value(depth + 1));
        ++count;
        SkipSpace();
        if (pos_ < text_.size() && text_[pos_] == ',') {
          ++pos_;
          SkipSpace();
        } else if (pos_ < text_.size() && text_[pos_] != close) {
          return Error("expected ',' or a closing bracket");
        }
      }
      if (pos_ >= text_.size()) return Error("missing closing bracket");
      ++pos_;
      if (count == 0 && leaf_depth_ < 0) {
        // An empty list fixes the shape: [] is (0,), [[], []] is (2, 0).
        leaf_depth_ = static_cast<int64_t>(depth) + 1;
      }
      return Dim(depth, count);
    }
    if (leaf_depth_ < 0) leaf_depth_ = static_cast<int64_t>(depth);
    if (leaf_depth_ != static_cast<int64_t>(depth)) return Error("lists are not rectangular");
    if (static_cast<int64_t>(values_.size()) >= max_) {
      return Error(absl::StrCat("more than ", max_,
                                " elements: upload large data as raw bytes instead of a literal"));
    }
    return Number();
  }

  absl::Status Dim(size_t depth, int64_t count) {
    if (leaf_depth_ >= 0 && static_cast<int64_t>(depth) >= leaf_depth_) {
      return Error("lists are not rectangular");
    }
    if (shape_.size() <= depth) shape_.resize(depth + 1, -1);
    if (shape_[depth] < 0) {
      shape_[depth] = count;
    } else if (shape_[depth] != count) {
      return Error(absl::StrCat("expected a sequence of length ", shape_[depth], " at dim ",
                                depth, " (got ", count, ")"));
    }
    return absl::OkStatus();
  }

  absl::Status Number() {
    const size_t start = pos_;
    while (pos_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[pos_])) ||
                                   std::strchr("+-._", text_[pos_]) != nullptr)) {
      ++pos_;
    }
    absl::string_view tok = text_.substr(start, pos_ - start);
    if (tok.empty()) return Error("expected a number");
    if (tok == "True" || tok == "False") {
      values_.push_back(Scalar(tok == "True"));
      return absl::OkStatus();
    }
    const bool is_float = tok.find_first_of(".eEn") != absl::string_view::npos;  // inf, nan
    if (!is_float) {
      int64_t i = 0;
      if (!absl::SimpleAtoi(tok, &i)) return Error(absl::StrCat("'", tok, "' is not a number"));
      values_.push_back(Scalar(i));
      return absl::OkStatus();
    }
    double f = 0;
    if (!absl::SimpleAtod(tok, &f)) return Error(absl::StrCat("'", tok, "' is not a number"));
    values_.push_back(Scalar(f));
    return absl::OkStatus();
  }

  absl::string_view text_;
  int64_t max_;
  size_t pos_ = 0;
  int64_t leaf_depth_ = -1;
  Shape shape_;
  std::vector<Scalar> values_;
};

}  // namespace

absl::StatusOr<ParsedLiteral> ParseLiteral(absl::string_view text, std::optional<DType> dtype,
                                           int64_t max_elements) {
  Parser p(text, max_elements);
  TD_RETURN_IF_ERROR(p.Parse());
  ParsedLiteral out;
  out.shape = p.shape();
  if (dtype.has_value()) {
    out.dtype = *dtype;
  } else {
    bool all_bool = true, all_int = true;
    for (const Scalar& v : p.values()) {
      all_bool = all_bool && v.is_bool();
      all_int = all_int && (v.is_bool() || v.is_integral());
    }
    out.dtype = p.values().empty() ? kDefaultFloat
                : all_bool         ? DType::kBool
                : all_int          ? DType::kInt64
                                   : kDefaultFloat;
  }
  const size_t item = ItemSize(out.dtype);
  out.bytes.resize(p.values().size() * item);
  DispatchDType(out.dtype, [&]<typename T>() {
    for (size_t i = 0; i < p.values().size(); ++i) {
      const T v = p.values()[i].To<T>();
      std::memcpy(out.bytes.data() + i * item, &v, item);
    }
  });
  return out;
}

}  // namespace tensord::device
