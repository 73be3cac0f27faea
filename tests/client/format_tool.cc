// format_tool: converts between .npy and safetensors files with the client's
// codecs, so that check_formats.py can compare them with numpy and with an
// independent safetensors implementation. Exits 1 with the error on stderr
// when a file is refused.
//
//   format_tool npy-copy IN.npy OUT.npy
//   format_tool safetensors-copy IN.safetensors OUT.safetensors
//   format_tool npy-to-safetensors OUT.safetensors [-m KEY VALUE | NAME IN.npy]...
//   format_tool safetensors-to-npy IN.safetensors NAME OUT.npy
//   format_tool safetensors-list IN.safetensors
//       one line per tensor in file order: NAME<TAB>DTYPE<TAB>DIM,DIM,...
//       then one per metadata entry: __metadata__<TAB>KEY<TAB>VALUE, with
//       backslashes, tabs and newlines in names, keys and values written as
//       \\, \t and \n
#include <cstdio>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_join.h"
#include "client/npy.h"
#include "client/raw_tensor.h"
#include "client/safetensors.h"

namespace tensord::client {
namespace {

constexpr char kUsage[] =
    "usage: format_tool npy-copy IN.npy OUT.npy\n"
    "       format_tool safetensors-copy IN.safetensors OUT.safetensors\n"
    "       format_tool npy-to-safetensors OUT.safetensors [-m KEY VALUE | NAME IN.npy]...\n"
    "       format_tool safetensors-to-npy IN.safetensors NAME OUT.npy\n"
    "       format_tool safetensors-list IN.safetensors\n";

absl::Status NpyCopy(const std::string& in, const std::string& out) {
  absl::StatusOr<RawTensor> t = ReadNpy(in);
  if (!t.ok()) return t.status();
  return WriteNpy(out, *t);
}

absl::Status SafetensorsCopy(const std::string& in, const std::string& out) {
  absl::StatusOr<NamedTensors> t = ReadSafetensors(in);
  if (!t.ok()) return t.status();
  return WriteSafetensors(out, *t);
}

absl::Status NpyToSafetensors(const std::string& out, const std::vector<std::string>& args) {
  NamedTensors t;
  for (size_t i = 0; i < args.size(); i += args[i] == "-m" ? 3 : 2) {
    if (args[i] == "-m") {
      if (i + 2 >= args.size()) return absl::InvalidArgumentError("-m needs KEY and VALUE");
      t.metadata[args[i + 1]] = args[i + 2];
      continue;
    }
    if (i + 1 >= args.size()) {
      return absl::InvalidArgumentError("each tensor needs NAME and IN.npy");
    }
    absl::StatusOr<RawTensor> tensor = ReadNpy(args[i + 1]);
    if (!tensor.ok()) return tensor.status();
    t.tensors.emplace_back(args[i], *std::move(tensor));
  }
  return WriteSafetensors(out, t);
}

absl::Status SafetensorsToNpy(const std::string& in, const std::string& name,
                              const std::string& out) {
  absl::StatusOr<NamedTensors> t = ReadSafetensors(in);
  if (!t.ok()) return t.status();
  for (const auto& [tensor_name, tensor] : t->tensors) {
    if (tensor_name == name) return WriteNpy(out, tensor);
  }
  return absl::NotFoundError(in + ": no tensor named '" + name + "'");
}

// A listing field: backslash, tab and newline escaped.
std::string Field(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

absl::Status SafetensorsList(const std::string& in) {
  absl::StatusOr<NamedTensors> t = ReadSafetensors(in);
  if (!t.ok()) return t.status();
  for (const auto& [name, tensor] : t->tensors) {
    std::printf("%s\t%s\t%s\n", Field(name).c_str(), tensor.dtype.c_str(),
                absl::StrJoin(tensor.shape, ",").c_str());
  }
  for (const auto& [key, value] : t->metadata) {
    std::printf("__metadata__\t%s\t%s\n", Field(key).c_str(), Field(value).c_str());
  }
  return absl::OkStatus();
}

int Main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  const size_t n = args.size();
  absl::Status s;
  if (n == 3 && args[0] == "npy-copy") {
    s = NpyCopy(args[1], args[2]);
  } else if (n == 3 && args[0] == "safetensors-copy") {
    s = SafetensorsCopy(args[1], args[2]);
  } else if (n >= 2 && args[0] == "npy-to-safetensors") {
    s = NpyToSafetensors(args[1], std::vector<std::string>(args.begin() + 2, args.end()));
  } else if (n == 4 && args[0] == "safetensors-to-npy") {
    s = SafetensorsToNpy(args[1], args[2], args[3]);
  } else if (n == 2 && args[0] == "safetensors-list") {
    s = SafetensorsList(args[1]);
  } else {
    std::fputs(kUsage, stderr);
    return 2;
  }
  if (!s.ok()) {
    std::fprintf(stderr, "format_tool: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace tensord::client

int main(int argc, char** argv) { return tensord::client::Main(argc, argv); }
