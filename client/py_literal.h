// A parser for the small subset of Python literal syntax that .npy headers
// are written in (numpy reads them with ast.literal_eval): dicts, tuples,
// lists, strings, integers, True, False and None.
#ifndef TENSORD_CLIENT_PY_LITERAL_H_
#define TENSORD_CLIENT_PY_LITERAL_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tensord::client {

struct PyLiteral {
  enum class Kind { kDict, kTuple, kList, kString, kInt, kBool, kNone };
  Kind kind = Kind::kNone;
  std::string text;      // the literal's source text, e.g. "(5, 3)"
  std::string str;       // kString: the decoded characters
  bool boolean = false;  // kBool
  // kTuple, kList: the elements; kDict: key, value, key, value, ...
  std::vector<PyLiteral> items;
};

// Parses one literal that may be surrounded by whitespace. Integers keep
// only their text (an optional '-' and decimal digits, with an optional
// Python 2 'L' suffix); their range is the caller's to check. Nesting is
// limited to 32 levels. InvalidArgument says where the text stops making
// sense.
absl::StatusOr<PyLiteral> ParsePyLiteral(absl::string_view text);

}  // namespace tensord::client

#endif  // TENSORD_CLIENT_PY_LITERAL_H_
