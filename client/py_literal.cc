#include "client/py_literal.h"

#include <cstddef>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace tensord::client {
namespace {

constexpr int kMaxDepth = 32;

class Parser {
 public:
  explicit Parser(absl::string_view text) : text_(text) {}

  absl::StatusOr<PyLiteral> ParseAll() {
    absl::StatusOr<PyLiteral> value = ParseValue(0);
    if (!value.ok()) return value;
    SkipSpace();
    if (pos_ != text_.size()) return Error("unexpected text after the literal");
    return value;
  }

 private:
  absl::Status Error(absl::string_view what) const {
    absl::string_view near = text_.substr(pos_, 20);
    return absl::InvalidArgumentError(absl::StrCat(what, " at offset ", pos_,
                                                   pos_ < text_.size() ? " near '" : "",
                                                   pos_ < text_.size() ? absl::CEscape(near) : "",
                                                   pos_ < text_.size() ? "'" : " (end of text)"));
  }

  void SkipSpace() {
    while (pos_ < text_.size() && absl::ascii_isspace(static_cast<unsigned char>(text_[pos_]))) {
      ++pos_;
    }
  }

  bool Consume(char c) {
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  absl::StatusOr<PyLiteral> ParseValue(int depth) {
    if (depth > kMaxDepth) return Error("literal nested too deeply");
    SkipSpace();
    if (pos_ >= text_.size()) return Error("expected a value");
    const size_t start = pos_;
    absl::StatusOr<PyLiteral> value = ParseBare(depth);
    if (value.ok()) value->text = std::string(text_.substr(start, pos_ - start));
    return value;
  }

  absl::StatusOr<PyLiteral> ParseBare(int depth) {
    const char c = text_[pos_];
    if (c == '{') return ParseSequence(depth, PyLiteral::Kind::kDict, '}');
    if (c == '(') return ParseSequence(depth, PyLiteral::Kind::kTuple, ')');
    if (c == '[') return ParseSequence(depth, PyLiteral::Kind::kList, ']');
    if (c == '\'' || c == '"') return ParseString();
    if (c == '-' || absl::ascii_isdigit(static_cast<unsigned char>(c))) return ParseInt();
    if (absl::ascii_isalpha(static_cast<unsigned char>(c))) return ParseName();
    return Error("expected a value");
  }

  // Dicts, tuples and lists: comma-separated, an optional trailing comma.
  // A one-element tuple needs its comma, as in Python: "(3)" is the int 3.
  absl::StatusOr<PyLiteral> ParseSequence(int depth, PyLiteral::Kind kind, char close) {
    ++pos_;  // the opening bracket
    PyLiteral out;
    out.kind = kind;
    bool saw_comma = false;
    while (true) {
      if (Consume(close)) break;
      absl::StatusOr<PyLiteral> item = ParseValue(depth + 1);
      if (!item.ok()) return item.status();
      out.items.push_back(*std::move(item));
      if (kind == PyLiteral::Kind::kDict) {
        if (!Consume(':')) return Error("expected ':' after a dict key");
        absl::StatusOr<PyLiteral> value = ParseValue(depth + 1);
        if (!value.ok()) return value.status();
        out.items.push_back(*std::move(value));
      }
      if (Consume(',')) {
        saw_comma = true;
        continue;
      }
      if (Consume(close)) break;
      return Error(absl::StrCat("expected ',' or '", std::string(1, close), "'"));
    }
    if (kind == PyLiteral::Kind::kTuple && out.items.size() == 1 && !saw_comma) {
      PyLiteral inner = std::move(out.items[0]);
      return inner;
    }
    return out;
  }

  absl::StatusOr<PyLiteral> ParseString() {
    const char quote = text_[pos_++];
    PyLiteral out;
    out.kind = PyLiteral::Kind::kString;
    while (true) {
      if (pos_ >= text_.size()) return Error("unterminated string");
      const char c = text_[pos_++];
      if (c == quote) break;
      if (c == '\n') return Error("unterminated string");
      if (c != '\\') {
        out.str.push_back(c);
        continue;
      }
      if (pos_ >= text_.size()) return Error("unterminated string");
      const char e = text_[pos_++];
      switch (e) {
        case 'n':
          out.str.push_back('\n');
          break;
        case 't':
          out.str.push_back('\t');
          break;
        case 'r':
          out.str.push_back('\r');
          break;
        case '0':
          out.str.push_back('\0');
          break;
        case '\\':
        case '\'':
        case '"':
          out.str.push_back(e);
          break;
        default:  // Python keeps unknown escapes as written.
          out.str.push_back('\\');
          out.str.push_back(e);
      }
    }
    return out;
  }

  absl::StatusOr<PyLiteral> ParseInt() {
    PyLiteral out;
    out.kind = PyLiteral::Kind::kInt;
    if (text_[pos_] == '-') ++pos_;
    const size_t digits = pos_;
    while (pos_ < text_.size() && absl::ascii_isdigit(static_cast<unsigned char>(text_[pos_]))) {
      ++pos_;
    }
    if (pos_ == digits) return Error("expected digits");
    if (pos_ < text_.size() && (text_[pos_] == 'L' || text_[pos_] == 'l')) ++pos_;
    if (pos_ < text_.size() && (text_[pos_] == '.' || text_[pos_] == 'e' || text_[pos_] == 'E' ||
                                absl::ascii_isalnum(static_cast<unsigned char>(text_[pos_])))) {
      return Error("expected an integer");
    }
    return out;
  }

  absl::StatusOr<PyLiteral> ParseName() {
    const size_t start = pos_;
    while (pos_ < text_.size() &&
           (absl::ascii_isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_')) {
      ++pos_;
    }
    const absl::string_view name = text_.substr(start, pos_ - start);
    PyLiteral out;
    if (name == "True" || name == "False") {
      out.kind = PyLiteral::Kind::kBool;
      out.boolean = name == "True";
    } else if (name == "None") {
      out.kind = PyLiteral::Kind::kNone;
    } else {
      pos_ = start;
      return Error("expected a literal, not a name");
    }
    return out;
  }

  absl::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

absl::StatusOr<PyLiteral> ParsePyLiteral(absl::string_view text) { return Parser(text).ParseAll(); }

}  // namespace tensord::client
