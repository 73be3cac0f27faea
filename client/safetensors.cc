#include "client/safetensors.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "client/binary_file.h"
#include "client/raw_tensor.h"
#include "client/raw_tensor_size.h"
#include "nlohmann/json.hpp"

namespace tensord::client {
namespace {

using Json = nlohmann::json;

// The reference implementation's limit on the JSON header.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;
constexpr absl::string_view kMetadataKey = "__metadata__";
constexpr absl::string_view kSupported = "F32, F64, F16, BF16, I64, I32 and BOOL";
constexpr absl::string_view kRewriteHint =
    "the file is damaged or was not written by a safetensors writer; write it again (e.g. "
    "with safetensors.torch.save_file)";

constexpr std::pair<absl::string_view, absl::string_view> kDtypes[] = {
    {"F32", "float32"}, {"F64", "float64"}, {"F16", "float16"}, {"BF16", "bfloat16"},
    {"I64", "int64"},   {"I32", "int32"},   {"BOOL", "bool"},
};

absl::Status Invalid(absl::string_view what) { return absl::InvalidArgumentError(what); }

absl::string_view DtypeFromFile(absl::string_view code) {
  for (const auto& [file, raw] : kDtypes) {
    if (file == code) return raw;
  }
  return "";
}

absl::string_view DtypeToFile(absl::string_view dtype) {
  for (const auto& [file, raw] : kDtypes) {
    if (raw == dtype) return file;
  }
  return "";
}

// A name as it appears in messages: quoted, with control bytes escaped.
std::string Quoted(absl::string_view name) {
  return absl::StrCat("'", absl::Utf8SafeCHexEscape(name), "'");
}

uint64_t LittleEndian64(absl::string_view b) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | static_cast<unsigned char>(b[i]);
  return v;
}

// nlohmann recurses over nested values when it builds and destroys them,
// so deeply nested text could exhaust the stack; a safetensors header
// nests three levels (the header, a tensor, its shape).
constexpr int kMaxJsonDepth = 16;

absl::Status CheckNesting(absl::string_view text) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) {
        return Invalid(absl::StrCat("the header nests arrays or objects more than ", kMaxJsonDepth,
                                    " levels deep; ", kRewriteHint));
      }
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return absl::OkStatus();
}

// Parses the JSON text, refusing duplicate keys in any object (nlohmann
// would silently keep one of them).
absl::StatusOr<Json> ParseJson(absl::string_view text) {
  absl::Status nesting = CheckNesting(text);
  if (!nesting.ok()) return nesting;
  std::vector<std::set<std::string>> open_objects;
  std::optional<std::string> duplicate;
  auto callback = [&](int /*depth*/, Json::parse_event_t event, Json& parsed) {
    switch (event) {
      case Json::parse_event_t::object_start:
        open_objects.emplace_back();
        break;
      case Json::parse_event_t::object_end:
        if (!open_objects.empty()) open_objects.pop_back();
        break;
      case Json::parse_event_t::key:
        if (!open_objects.empty() && parsed.is_string() &&
            !open_objects.back().insert(parsed.get<std::string>()).second && !duplicate) {
          duplicate = parsed.get<std::string>();
        }
        break;
      default:
        break;
    }
    return true;
  };
  Json json;
  try {
    json = Json::parse(text.begin(), text.end(), callback);
  } catch (const Json::exception& e) {
    return Invalid(absl::StrCat("the header is not valid JSON (", e.what(), "); ", kRewriteHint));
  }
  if (duplicate.has_value()) {
    return Invalid(absl::StrCat("the header has the key ", Quoted(*duplicate), " more than once; ",
                                kRewriteHint));
  }
  return json;
}

absl::StatusOr<uint64_t> ParseOffset(const Json& v, absl::string_view name) {
  if (!v.is_number_unsigned()) {
    return Invalid(absl::StrCat("tensor ", name,
                                ": 'data_offsets' must hold two non-negative "
                                "integers, not ",
                                v.dump(), "; ", kRewriteHint));
  }
  return v.get<uint64_t>();
}

absl::StatusOr<SafetensorsEntry> ParseEntry(const std::string& key, const Json& info) {
  const std::string name = Quoted(key);
  if (!info.is_object()) {
    return Invalid(absl::StrCat("tensor ", name, " is described by ", info.dump().substr(0, 40),
                                ", not an object with dtype, shape and data_offsets; ",
                                kRewriteHint));
  }
  for (const auto& [field, value] : info.items()) {
    if (field != "dtype" && field != "shape" && field != "data_offsets") {
      return Invalid(absl::StrCat("tensor ", name, " has an unexpected field ", Quoted(field),
                                  " (allowed: dtype, shape, data_offsets); ", kRewriteHint));
    }
  }
  for (const char* field : {"dtype", "shape", "data_offsets"}) {
    if (!info.contains(field)) {
      return Invalid(absl::StrCat("tensor ", name, " has no '", field, "'; ", kRewriteHint));
    }
  }
  SafetensorsEntry e;
  e.name = key;
  const Json& dtype = info["dtype"];
  if (!dtype.is_string()) {
    return Invalid(absl::StrCat("tensor ", name, ": 'dtype' must be a string, not ", dtype.dump(),
                                "; ", kRewriteHint));
  }
  e.dtype = std::string(DtypeFromFile(dtype.get<std::string>()));
  if (e.dtype.empty()) {
    return Invalid(absl::StrCat("tensor ", name, " has the unsupported dtype ",
                                Quoted(dtype.get<std::string>()), "; supported: ", kSupported,
                                "; convert it before saving, e.g. tensor.to(torch.float32)"));
  }
  const Json& shape = info["shape"];
  if (!shape.is_array()) {
    return Invalid(absl::StrCat("tensor ", name, ": 'shape' must be an array, not ",
                                shape.dump().substr(0, 40), "; ", kRewriteHint));
  }
  for (const Json& d : shape) {
    if (!d.is_number_unsigned() ||
        d.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return Invalid(absl::StrCat("tensor ", name, ": 'shape' ", shape.dump().substr(0, 80),
                                  " must hold non-negative integers in 64-bit range; ",
                                  kRewriteHint));
    }
    e.shape.push_back(static_cast<int64_t>(d.get<uint64_t>()));
  }
  const Json& offsets = info["data_offsets"];
  if (!offsets.is_array() || offsets.size() != 2) {
    return Invalid(absl::StrCat("tensor ", name, ": 'data_offsets' must be [begin, end], not ",
                                offsets.dump().substr(0, 80), "; ", kRewriteHint));
  }
  absl::StatusOr<uint64_t> begin = ParseOffset(offsets[0], name);
  if (!begin.ok()) return begin.status();
  absl::StatusOr<uint64_t> end = ParseOffset(offsets[1], name);
  if (!end.ok()) return end.status();
  e.begin = *begin;
  e.end = *end;
  if (e.end < e.begin) {
    return Invalid(absl::StrCat("tensor ", name, " ends (", e.end, ") before it begins (", e.begin,
                                "); ", kRewriteHint));
  }
  std::optional<uint64_t> bytes = ByteSize(e.shape, ElementSize(e.dtype));
  if (!bytes.has_value()) {
    return Invalid(absl::StrCat("tensor ", name, ": shape ", ShapeString(e.shape), " of ", e.dtype,
                                " has more bytes than a 64-bit size can count; ", kRewriteHint));
  }
  if (*bytes != e.end - e.begin) {
    return Invalid(absl::StrCat("tensor ", name, ": shape ", ShapeString(e.shape), " of ", e.dtype,
                                " needs ", *bytes, " bytes but data_offsets [", e.begin, ", ",
                                e.end, "] span ", e.end - e.begin, "; ", kRewriteHint));
  }
  return e;
}

absl::StatusOr<std::map<std::string, std::string>> ParseMetadata(const Json& json) {
  std::map<std::string, std::string> out;
  if (json.is_null()) return out;
  if (!json.is_object()) {
    return Invalid(absl::StrCat("'__metadata__' must be an object of strings, not ",
                                json.dump().substr(0, 40), "; ", kRewriteHint));
  }
  for (const auto& [key, value] : json.items()) {
    if (!value.is_string()) {
      return Invalid(absl::StrCat("'__metadata__' entry ", Quoted(key), " must be a string, not ",
                                  value.dump().substr(0, 40),
                                  " (safetensors metadata maps strings to strings); ",
                                  kRewriteHint));
    }
    out.emplace(key, value.get<std::string>());
  }
  return out;
}

// The header size from the first 8 bytes of a file of `file_bytes` bytes.
absl::StatusOr<uint64_t> ParseHeaderSize(absl::string_view first8, uint64_t file_bytes) {
  if (file_bytes < 8) {
    return Invalid(absl::StrCat("truncated: ", file_bytes,
                                " bytes is too short for a safetensors file (the header size "
                                "alone takes 8); ",
                                kRewriteHint));
  }
  const uint64_t n = LittleEndian64(first8);
  if (n > kMaxHeaderBytes) {
    return Invalid(
        absl::StrCat("the header size field says ", n, " bytes, more than the ", kMaxHeaderBytes,
                     " safetensors allows; this is not a safetensors file or ", kRewriteHint));
  }
  if (n > file_bytes - 8) {
    return Invalid(absl::StrCat("truncated: the header needs ", n, " bytes but only ",
                                file_bytes - 8, " follow the size field; ", kRewriteHint));
  }
  return n;
}

// The encoded header (size field and padded JSON) and the order in which
// the tensors' data follows it.
struct Layout {
  std::string header;
  std::vector<const std::pair<std::string, RawTensor>*> order;
};

absl::StatusOr<Layout> PlanFile(const NamedTensors& t) {
  Layout layout;
  for (const auto& entry : t.tensors) layout.order.push_back(&entry);
  std::sort(layout.order.begin(), layout.order.end(),
            [](const auto* a, const auto* b) { return a->first < b->first; });
  auto dump = [](const std::string& s) -> absl::StatusOr<std::string> {
    try {
      return Json(s).dump(-1, ' ', false, Json::error_handler_t::strict);
    } catch (const Json::exception&) {
      return Invalid(absl::StrCat(Quoted(s),
                                  " is not valid UTF-8; safetensors names and "
                                  "metadata are UTF-8 text"));
    }
  };
  std::string json = "{";
  if (!t.metadata.empty()) {
    json += "\"__metadata__\":{";
    bool first = true;
    for (const auto& [key, value] : t.metadata) {
      absl::StatusOr<std::string> k = dump(key);
      if (!k.ok()) return k.status();
      absl::StatusOr<std::string> v = dump(value);
      if (!v.ok()) return v.status();
      absl::StrAppend(&json, first ? "" : ",", *k, ":", *v);
      first = false;
    }
    json += "}";
  }
  uint64_t offset = 0;
  const std::string* previous = nullptr;
  for (const auto* entry : layout.order) {
    const auto& [name, tensor] = *entry;
    if (name.empty()) return Invalid("a tensor has an empty name; give every tensor a name");
    if (name == kMetadataKey) {
      return Invalid(
          "a tensor is named '__metadata__', which safetensors reserves for the "
          "metadata; rename it");
    }
    if (previous != nullptr && *previous == name) {
      return Invalid(absl::StrCat("two tensors are named ", Quoted(name),
                                  "; names in a safetensors file must be unique"));
    }
    previous = &name;
    absl::Status valid = CheckRawTensor(tensor);
    if (!valid.ok()) {
      return Invalid(absl::StrCat("tensor ", Quoted(name), ": ", valid.message()));
    }
    absl::StatusOr<std::string> key = dump(name);
    if (!key.ok()) return key.status();
    const uint64_t end = offset + tensor.data.size();
    absl::StrAppend(&json, json.size() > 1 ? "," : "", *key, ":{\"dtype\":\"",
                    DtypeToFile(tensor.dtype), "\",\"shape\":[", absl::StrJoin(tensor.shape, ","),
                    "],\"data_offsets\":[", offset, ",", end, "]}");
    offset = end;
  }
  json += "}";
  json.append((8 - json.size() % 8) % 8, ' ');
  if (json.size() > kMaxHeaderBytes) {
    return Invalid(absl::StrCat("the header would take ", json.size(), " bytes, more than the ",
                                kMaxHeaderBytes,
                                " safetensors readers accept; split the tensors over several "
                                "files"));
  }
  layout.header.reserve(8 + json.size());
  for (int i = 0; i < 8; ++i) layout.header.push_back(static_cast<char>(json.size() >> (8 * i)));
  layout.header += json;
  return layout;
}

}  // namespace

absl::StatusOr<SafetensorsHeader> ParseSafetensorsHeader(absl::string_view json,
                                                         uint64_t buffer_bytes) {
  // The reference implementation insists on an object right away.
  if (json.empty() || json[0] != '{') {
    return Invalid(absl::StrCat("the header does not start with '{' (it is not a JSON object); ",
                                kRewriteHint));
  }
  absl::StatusOr<Json> parsed = ParseJson(json);
  if (!parsed.ok()) return parsed.status();
  SafetensorsHeader h;
  for (const auto& [key, value] : parsed->items()) {
    if (key == kMetadataKey) {
      absl::StatusOr<std::map<std::string, std::string>> metadata = ParseMetadata(value);
      if (!metadata.ok()) return metadata.status();
      h.metadata = *std::move(metadata);
      continue;
    }
    if (key.empty()) return Invalid(absl::StrCat("a tensor has an empty name; ", kRewriteHint));
    absl::StatusOr<SafetensorsEntry> entry = ParseEntry(key, value);
    if (!entry.ok()) return entry.status();
    h.entries.push_back(*std::move(entry));
  }
  std::sort(h.entries.begin(), h.entries.end(), [](const auto& a, const auto& b) {
    return std::tie(a.begin, a.end, a.name) < std::tie(b.begin, b.end, b.name);
  });
  uint64_t expected = 0;
  for (const SafetensorsEntry& e : h.entries) {
    if (e.begin != expected) {
      return Invalid(absl::StrCat(
          "tensor ", Quoted(e.name), " begins at ", e.begin, " but the previous data ends at ",
          expected, e.begin > expected ? " (a gap)" : " (an overlap)",
          "; tensors must fill the data buffer contiguously, ", kRewriteHint));
    }
    expected = e.end;
  }
  if (expected > buffer_bytes) {
    return Invalid(absl::StrCat("truncated: the tensors need ", expected,
                                " bytes of data but the file holds ", buffer_bytes,
                                " after the header; ", kRewriteHint));
  }
  if (expected < buffer_bytes) {
    return Invalid(absl::StrCat("the file holds ", buffer_bytes,
                                " bytes of data after the header but its tensors account for "
                                "only ",
                                expected, "; ", kRewriteHint));
  }
  return h;
}

absl::StatusOr<NamedTensors> ParseSafetensors(absl::string_view bytes) {
  absl::StatusOr<uint64_t> n = ParseHeaderSize(bytes.substr(0, 8), bytes.size());
  if (!n.ok()) return n.status();
  const absl::string_view buffer = bytes.substr(8 + *n);
  absl::StatusOr<SafetensorsHeader> h = ParseSafetensorsHeader(bytes.substr(8, *n), buffer.size());
  if (!h.ok()) return h.status();
  NamedTensors out;
  out.metadata = std::move(h->metadata);
  for (SafetensorsEntry& e : h->entries) {
    RawTensor t;
    t.shape = std::move(e.shape);
    t.dtype = std::move(e.dtype);
    t.data = std::string(buffer.substr(e.begin, e.end - e.begin));
    out.tensors.emplace_back(std::move(e.name), std::move(t));
  }
  return out;
}

absl::StatusOr<std::string> EncodeSafetensors(const NamedTensors& t) {
  absl::StatusOr<Layout> layout = PlanFile(t);
  if (!layout.ok()) return layout.status();
  std::string out = std::move(layout->header);
  for (const auto* entry : layout->order) out += entry->second.data;
  return out;
}

absl::StatusOr<NamedTensors> ReadSafetensors(const std::string& path) {
  absl::StatusOr<InputFile> file = InputFile::Open(path);
  if (!file.ok()) return file.status();
  std::string first8(std::min<uint64_t>(file->size(), 8), '\0');
  absl::Status read = file->Read(first8.size(), first8.data());
  if (!read.ok()) return read;
  absl::StatusOr<uint64_t> n = ParseHeaderSize(first8, file->size());
  if (!n.ok()) return WithPath(n.status(), path);
  std::string json(*n, '\0');
  read = file->Read(json.size(), json.data());
  if (!read.ok()) return read;
  absl::StatusOr<SafetensorsHeader> h = ParseSafetensorsHeader(json, file->size() - 8 - *n);
  if (!h.ok()) return WithPath(h.status(), path);
  NamedTensors out;
  out.metadata = std::move(h->metadata);
  // The ranges tile the buffer in this order, so the file is read front to
  // back.
  for (SafetensorsEntry& e : h->entries) {
    RawTensor t;
    t.shape = std::move(e.shape);
    t.dtype = std::move(e.dtype);
    t.data.resize(e.end - e.begin);
    read = file->Read(t.data.size(), t.data.data());
    if (!read.ok()) return read;
    out.tensors.emplace_back(std::move(e.name), std::move(t));
  }
  return out;
}

absl::Status WriteSafetensors(const std::string& path, const NamedTensors& t) {
  absl::StatusOr<Layout> layout = PlanFile(t);
  if (!layout.ok()) return WithPath(layout.status(), path);
  absl::StatusOr<OutputFile> file = OutputFile::Create(path);
  if (!file.ok()) return file.status();
  absl::Status s = file->Write(layout->header);
  for (const auto* entry : layout->order) {
    if (s.ok()) s = file->Write(entry->second.data);
  }
  if (s.ok()) s = file->Close();
  return s;
}

}  // namespace tensord::client
