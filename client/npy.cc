#include "client/npy.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "client/binary_file.h"
#include "client/py_literal.h"
#include "client/raw_tensor.h"
#include "client/raw_tensor_size.h"

namespace tensord::client {
namespace {

constexpr absl::string_view kMagic("\x93NUMPY", 6);
// numpy aligns the data to 64 bytes so that it can be memory-mapped.
constexpr uint64_t kAlign = 64;
// numpy itself refuses headers over 10000 bytes unless told otherwise; a
// limit well above any real header keeps a damaged length from allocating
// gigabytes.
constexpr uint64_t kMaxHeaderBytes = uint64_t{1} << 20;

constexpr absl::string_view kSupported =
    "'<f4' (float32), '<f8' (float64), '<f2' (float16), '<i8' (int64), '<i4' (int32) and "
    "'|b1' (bool), in any byte order";
constexpr absl::string_view kSaveHint = "save the array with numpy.save";

absl::Status Invalid(absl::string_view what) { return absl::InvalidArgumentError(what); }

// Header text as it appears in messages: at most 60 bytes, control bytes
// shown as '?'.
std::string Printable(absl::string_view text) {
  std::string out(text.substr(0, 60));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  if (text.size() > 60) out += "...";
  return out;
}

uint16_t LittleEndian16(absl::string_view b) {
  return static_cast<uint16_t>(static_cast<unsigned char>(b[0]) | static_cast<unsigned char>(b[1])
                                                                      << 8);
}

uint32_t LittleEndian32(absl::string_view b) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = v << 8 | static_cast<unsigned char>(b[i]);
  return v;
}

// Where the data starts, from the magic string, version and header length
// at the start of `bytes`.
struct Prefix {
  int major_version = 1;
  uint64_t prefix_bytes = 10;  // magic, version and header length
  uint64_t data_offset = 0;
};

absl::StatusOr<Prefix> ParsePrefix(absl::string_view bytes) {
  if (bytes.size() < kMagic.size() || bytes.substr(0, kMagic.size()) != kMagic) {
    return Invalid(
        absl::StrCat("not a .npy file: it does not start with the magic string \\x93NUMPY; ",
                     kSaveHint, " (.npz archives are not supported: extract their members first)"));
  }
  if (bytes.size() < 10) {
    return Invalid(absl::StrCat("truncated: ", bytes.size(),
                                " bytes is too short for a .npy header; the file is incomplete, ",
                                kSaveHint, " again"));
  }
  const int major = static_cast<unsigned char>(bytes[6]);
  const int minor = static_cast<unsigned char>(bytes[7]);
  if (major < 1 || major > 3 || minor != 0) {
    return Invalid(absl::StrCat("unsupported .npy format version ", major, ".", minor,
                                "; this reader knows 1.0, 2.0 and 3.0: ", kSaveHint,
                                " from a numpy release that writes one of those"));
  }
  Prefix p;
  p.major_version = major;
  uint64_t header_bytes = 0;
  if (major == 1) {
    header_bytes = LittleEndian16(bytes.substr(8, 2));
  } else {
    if (bytes.size() < 12) {
      return Invalid(absl::StrCat("truncated: ", bytes.size(), " bytes is too short for a version ",
                                  major, ".0 .npy header; the file is incomplete, ", kSaveHint,
                                  " again"));
    }
    p.prefix_bytes = 12;
    header_bytes = LittleEndian32(bytes.substr(8, 4));
  }
  if (header_bytes > kMaxHeaderBytes) {
    return Invalid(absl::StrCat(
        "the header length field says ", header_bytes, " bytes, more than the ", kMaxHeaderBytes,
        " this reader accepts; the file is damaged or not a .npy file, ", kSaveHint, " again"));
  }
  p.data_offset = p.prefix_bytes + header_bytes;
  return p;
}

struct DescrInfo {
  std::string dtype;
  bool swap_bytes = false;
};

absl::StatusOr<DescrInfo> ParseDescr(const PyLiteral& descr) {
  if (descr.kind != PyLiteral::Kind::kString) {
    return Invalid(
        absl::StrCat("unsupported descr ", Printable(descr.text),
                     " (structured or record arrays cannot be read); supported: ", kSupported,
                     "; convert the array first, e.g. arr.astype(numpy.float32)"));
  }
  absl::string_view s = descr.str;
  char order = '=';
  if (!s.empty() && absl::string_view("<>=|").find(s[0]) != absl::string_view::npos) {
    order = s[0];
    s.remove_prefix(1);
  }
  DescrInfo info;
  if (s == "f4") {
    info.dtype = "float32";
  } else if (s == "f8") {
    info.dtype = "float64";
  } else if (s == "f2") {
    info.dtype = "float16";
  } else if (s == "i8") {
    info.dtype = "int64";
  } else if (s == "i4") {
    info.dtype = "int32";
  } else if (s == "b1" || s == "?") {
    info.dtype = "bool";
  } else {
    const bool object = !s.empty() && s[0] == 'O';
    return Invalid(absl::StrCat("unsupported descr '", Printable(descr.str), "'",
                                object ? " (object arrays hold Python objects, not numbers)" : "",
                                "; supported: ", kSupported,
                                "; convert the array first, e.g. arr.astype(numpy.float32)"));
  }
  // '=' and '|' mean the writer's native order; .npy files come from
  // little-endian machines far more often than not, but numpy writes the
  // explicit '<' or '>' for every multi-byte type, so this only matters for
  // hand-made files.
  const bool big =
      order == '>' || ((order == '=' || order == '|') && std::endian::native == std::endian::big);
  info.swap_bytes = big && ElementSize(info.dtype) > 1;
  return info;
}

absl::StatusOr<std::vector<int64_t>> ParseShape(const PyLiteral& shape) {
  if (shape.kind != PyLiteral::Kind::kTuple) {
    return Invalid(absl::StrCat("'shape' must be a tuple of integers, not ", Printable(shape.text),
                                "; the header is damaged, ", kSaveHint, " again"));
  }
  std::vector<int64_t> out;
  for (const PyLiteral& d : shape.items) {
    int64_t v = 0;
    absl::string_view digits = d.text;
    if (!digits.empty() && (digits.back() == 'L' || digits.back() == 'l')) digits.remove_suffix(1);
    if (d.kind != PyLiteral::Kind::kInt || !absl::SimpleAtoi(digits, &v)) {
      return Invalid(absl::StrCat("'shape' ", Printable(shape.text), " has an entry '",
                                  Printable(d.text),
                                  "' that is not an integer in 64-bit range; the header is "
                                  "damaged, ",
                                  kSaveHint, " again"));
    }
    if (v < 0) {
      return Invalid(absl::StrCat("'shape' ", Printable(shape.text),
                                  " has a negative dimension; the header is damaged, ", kSaveHint,
                                  " again"));
    }
    out.push_back(v);
  }
  return out;
}

// Byte-swaps every element in place.
void SwapBytes(std::string& data, int element_size) {
  for (size_t i = 0; i + element_size <= data.size(); i += element_size) {
    std::reverse(data.begin() + i, data.begin() + i + element_size);
  }
}

// Reorders a Fortran-ordered (column-major) array into C (row-major) order.
std::string FortranToC(const std::string& src, const std::vector<int64_t>& shape,
                       size_t element_size) {
  std::string out(src.size(), '\0');
  if (src.empty()) return out;
  const size_t n = shape.size();
  std::vector<uint64_t> stride(n);  // Fortran strides, in elements
  uint64_t s = 1;
  for (size_t k = 0; k < n; ++k) {
    stride[k] = s;
    s *= static_cast<uint64_t>(shape[k]);
  }
  std::vector<int64_t> index(n, 0);
  const uint64_t inner = static_cast<uint64_t>(shape[n - 1]);
  const uint64_t inner_stride = stride[n - 1] * element_size;
  char* dst = out.data();
  uint64_t base = 0;  // source element of `index` with its last entry at 0
  while (true) {
    const char* from = src.data() + base * element_size;
    for (uint64_t j = 0; j < inner; ++j, from += inner_stride, dst += element_size) {
      std::memcpy(dst, from, element_size);
    }
    int k = static_cast<int>(n) - 2;
    for (; k >= 0; --k) {
      base += stride[k];
      if (++index[k] < shape[k]) break;
      base -= stride[k] * static_cast<uint64_t>(shape[k]);
      index[k] = 0;
    }
    if (k < 0) break;
  }
  return out;
}

// Turns data as stored in the file into RawTensor's layout.
void ToRawLayout(const NpyHeader& h, std::string& data) {
  const int size = ElementSize(h.dtype);
  if (h.swap_bytes) SwapBytes(data, size);
  if (h.fortran_order && h.shape.size() > 1) data = FortranToC(data, h.shape, size);
}

absl::Status CheckDataBytes(const NpyHeader& h, uint64_t available) {
  if (available == h.data_bytes) return absl::OkStatus();
  const std::string what =
      absl::StrCat("shape ", ShapeString(h.shape), " of ", h.dtype, " needs ", h.data_bytes,
                   " bytes of data but ", available, " follow the header");
  if (available < h.data_bytes) {
    return Invalid(
        absl::StrCat("truncated: ", what, "; the file is incomplete, ", kSaveHint, " again"));
  }
  return Invalid(absl::StrCat(what,
                              "; the header and the data disagree (the file is damaged or "
                              "was not written by numpy.save), ",
                              kSaveHint, " again"));
}

absl::string_view DescrOf(absl::string_view dtype) {
  if (dtype == "float32") return "<f4";
  if (dtype == "float64") return "<f8";
  if (dtype == "float16") return "<f2";
  if (dtype == "int64") return "<i8";
  if (dtype == "int32") return "<i4";
  if (dtype == "bool") return "|b1";
  return "";
}

}  // namespace

absl::StatusOr<NpyHeader> ParseNpyHeader(absl::string_view bytes) {
  absl::StatusOr<Prefix> prefix = ParsePrefix(bytes);
  if (!prefix.ok()) return prefix.status();
  if (bytes.size() < prefix->data_offset) {
    return Invalid(absl::StrCat("truncated: the header needs ", prefix->data_offset,
                                " bytes but only ", bytes.size(),
                                " are there; the file is incomplete, ", kSaveHint, " again"));
  }
  const absl::string_view text =
      bytes.substr(prefix->prefix_bytes, prefix->data_offset - prefix->prefix_bytes);
  absl::StatusOr<PyLiteral> dict = ParsePyLiteral(text);
  if (!dict.ok()) {
    return Invalid(absl::StrCat("the header is not a Python literal (", dict.status().message(),
                                "); the file is damaged, ", kSaveHint, " again"));
  }
  if (dict->kind != PyLiteral::Kind::kDict) {
    return Invalid(absl::StrCat("the header is not a dict but '", Printable(dict->text),
                                "'; the file is damaged, ", kSaveHint, " again"));
  }
  const PyLiteral* descr = nullptr;
  const PyLiteral* fortran = nullptr;
  const PyLiteral* shape = nullptr;
  for (size_t i = 0; i + 1 < dict->items.size(); i += 2) {
    const PyLiteral& key = dict->items[i];
    const PyLiteral* value = &dict->items[i + 1];
    const PyLiteral** slot = nullptr;
    if (key.kind == PyLiteral::Kind::kString) {
      if (key.str == "descr") slot = &descr;
      if (key.str == "fortran_order") slot = &fortran;
      if (key.str == "shape") slot = &shape;
    }
    if (slot == nullptr) {
      return Invalid(absl::StrCat("the header has an unexpected key ", Printable(key.text),
                                  " (numpy writes exactly 'descr', 'fortran_order' and 'shape'); ",
                                  kSaveHint, " again"));
    }
    if (*slot != nullptr) {
      return Invalid(absl::StrCat("the header has the key ", Printable(key.text),
                                  " twice; the file is "
                                  "damaged, ",
                                  kSaveHint, " again"));
    }
    *slot = value;
  }
  for (auto [slot, name] : {std::pair{descr, "descr"}, std::pair{fortran, "fortran_order"},
                            std::pair{shape, "shape"}}) {
    if (slot == nullptr) {
      return Invalid(absl::StrCat("the header has no '", name,
                                  "' key (numpy writes 'descr', 'fortran_order' and 'shape'); the "
                                  "file is damaged, ",
                                  kSaveHint, " again"));
    }
  }
  absl::StatusOr<DescrInfo> info = ParseDescr(*descr);
  if (!info.ok()) return info.status();
  if (fortran->kind != PyLiteral::Kind::kBool) {
    return Invalid(absl::StrCat("'fortran_order' must be True or False, not ",
                                Printable(fortran->text), "; the header is damaged, ", kSaveHint,
                                " again"));
  }
  absl::StatusOr<std::vector<int64_t>> dims = ParseShape(*shape);
  if (!dims.ok()) return dims.status();
  std::optional<uint64_t> data_bytes = ByteSize(*dims, ElementSize(info->dtype));
  if (!data_bytes.has_value()) {
    return Invalid(absl::StrCat("shape ", ShapeString(*dims), " of ", info->dtype,
                                " has more bytes than a 64-bit size can count; the header is "
                                "damaged, ",
                                kSaveHint, " again"));
  }
  NpyHeader h;
  h.major_version = prefix->major_version;
  h.descr = descr->str;
  h.dtype = info->dtype;
  h.swap_bytes = info->swap_bytes;
  h.fortran_order = fortran->boolean;
  h.shape = *std::move(dims);
  h.data_offset = prefix->data_offset;
  h.data_bytes = *data_bytes;
  return h;
}

absl::StatusOr<RawTensor> ParseNpy(absl::string_view bytes) {
  absl::StatusOr<NpyHeader> h = ParseNpyHeader(bytes);
  if (!h.ok()) return h.status();
  absl::Status sized = CheckDataBytes(*h, bytes.size() - h->data_offset);
  if (!sized.ok()) return sized;
  RawTensor t;
  t.shape = h->shape;
  t.dtype = h->dtype;
  t.data = std::string(bytes.substr(h->data_offset));
  ToRawLayout(*h, t.data);
  return t;
}

absl::StatusOr<std::string> EncodeNpyHeader(const RawTensor& t) {
  if (t.dtype == "bfloat16") {
    return Invalid(
        "bfloat16 has no NumPy dtype, so it cannot be saved as .npy; convert it to float32 "
        "first, e.g. .to('float32'), or save it as safetensors");
  }
  absl::Status valid = CheckRawTensor(t);
  if (!valid.ok()) return valid;
  const std::string dict =
      absl::StrCat("{'descr': '", DescrOf(t.dtype),
                   "', 'fortran_order': False, 'shape': ", ShapeString(t.shape), ", }");
  // Version 1.0 counts the header in 16 bits; 2.0 in 32.
  uint64_t prefix_bytes = 10;
  if (dict.size() + 1 + kAlign > 0xffff) prefix_bytes = 12;
  const uint64_t unpadded = prefix_bytes + dict.size() + 1;  // + '\n'
  const uint64_t padding = (kAlign - unpadded % kAlign) % kAlign;
  const uint64_t header_bytes = dict.size() + padding + 1;
  std::string out(kMagic);
  out.push_back(prefix_bytes == 10 ? 1 : 2);
  out.push_back(0);
  for (uint64_t i = 0; i < prefix_bytes - 8; ++i) {
    out.push_back(static_cast<char>(header_bytes >> (8 * i) & 0xff));
  }
  out += dict;
  out.append(padding, ' ');
  out.push_back('\n');
  return out;
}

absl::StatusOr<RawTensor> ReadNpy(const std::string& path) {
  absl::StatusOr<InputFile> file = InputFile::Open(path);
  if (!file.ok()) return file.status();
  // The fixed-size prefix first, to learn how long the header is.
  std::string head(std::min<uint64_t>(file->size(), 12), '\0');
  absl::Status read = file->Read(head.size(), head.data());
  if (!read.ok()) return read;
  absl::StatusOr<Prefix> prefix = ParsePrefix(head);
  if (!prefix.ok()) return WithPath(prefix.status(), path);
  if (prefix->data_offset > file->size()) {
    return WithPath(Invalid(absl::StrCat("truncated: the header needs ", prefix->data_offset,
                                         " bytes but the file has ", file->size(),
                                         "; the file is incomplete, ", kSaveHint, " again")),
                    path);
  }
  if (prefix->data_offset > head.size()) {
    const uint64_t have = head.size();
    head.resize(prefix->data_offset);
    read = file->Read(prefix->data_offset - have, head.data() + have);
    if (!read.ok()) return read;
  }
  absl::StatusOr<NpyHeader> h = ParseNpyHeader(head);
  if (!h.ok()) return WithPath(h.status(), path);
  absl::Status sized = CheckDataBytes(*h, file->size() - h->data_offset);
  if (!sized.ok()) return WithPath(sized, path);

  RawTensor t;
  t.shape = h->shape;
  t.dtype = h->dtype;
  // A short header leaves up to two bytes of data in `head`.
  const uint64_t early = head.size() - h->data_offset;
  t.data.resize(h->data_bytes);
  std::memcpy(t.data.data(), head.data() + h->data_offset, early);
  read = file->Read(h->data_bytes - early, t.data.data() + early);
  if (!read.ok()) return read;
  ToRawLayout(*h, t.data);
  return t;
}

absl::Status WriteNpy(const std::string& path, const RawTensor& t) {
  absl::StatusOr<std::string> header = EncodeNpyHeader(t);
  if (!header.ok()) return WithPath(header.status(), path);
  absl::StatusOr<OutputFile> file = OutputFile::Create(path);
  if (!file.ok()) return file.status();
  absl::Status s = file->Write(*header);
  if (s.ok()) s = file->Write(t.data);
  if (s.ok()) s = file->Close();
  return s;
}

}  // namespace tensord::client
