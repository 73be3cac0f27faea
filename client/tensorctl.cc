// tensorctl: drive tensord from a shell. Tensors are named by the user and
// live in a named session that persists between invocations (address and
// session from --addr/--session or TENSORD_ADDR/TENSORD_SESSION).
// `tensorctl --help` and `tensorctl SUBCOMMAND --help` describe each command.
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "client/progress_bar.h"
#include "client/safetensors.h"
#include "client/tensor.h"

namespace tc = tensord::client;
namespace v1 = tensord::v1;

namespace {

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : fallback;
}

[[noreturn]] void Fail(const std::string& msg) { throw tc::Error(3, msg); }

std::vector<int64_t> ParseInts(absl::string_view text) {
  text = absl::StripSuffix(absl::StripPrefix(absl::StripAsciiWhitespace(text), "["), "]");
  text = absl::StripSuffix(absl::StripPrefix(text, "("), ")");
  std::vector<int64_t> out;
  for (absl::string_view p : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    int64_t v = 0;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(p), &v)) {
      Fail(absl::StrCat("'", p, "' is not an integer (lists are written 5,3)"));
    }
    out.push_back(v);
  }
  return out;
}

tc::Attr ParseNumber(absl::string_view text) {
  int64_t i = 0;
  double f = 0;
  if (text == "True" || text == "true") return tc::Attr(true);
  if (text == "False" || text == "false") return tc::Attr(false);
  if (absl::SimpleAtoi(text, &i)) return tc::Attr(i);
  if (absl::SimpleAtod(text, &f)) return tc::Attr(f);
  Fail(absl::StrCat("'", text, "' is not a number"));
}

// Converts NAME=VALUE text to the attribute type the op declares.
tc::Attr ParseAttr(const std::string& op, const std::string& type, const std::string& name,
                   const std::string& text) {
  if (type == "int") {
    int64_t v = 0;
    if (!absl::SimpleAtoi(text, &v)) Fail(absl::StrCat(op, ": ", name, " needs an integer"));
    return tc::Attr(v);
  }
  if (type == "float") {
    double v = 0;
    if (!absl::SimpleAtod(text, &v)) Fail(absl::StrCat(op, ": ", name, " needs a number"));
    return tc::Attr(v);
  }
  if (type == "bool") {
    const std::string t = absl::AsciiStrToLower(text);
    if (t == "true" || t == "1") return tc::Attr(true);
    if (t == "false" || t == "0") return tc::Attr(false);
    Fail(absl::StrCat(op, ": ", name, " needs true or false"));
  }
  if (type == "ints") return tc::Attr(ParseInts(text));
  if (type == "floats") {
    std::vector<double> out;
    for (absl::string_view p : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
      double v = 0;
      if (!absl::SimpleAtod(absl::StripAsciiWhitespace(p), &v)) {
        Fail(absl::StrCat(op, ": ", name, " needs numbers separated by commas"));
      }
      out.push_back(v);
    }
    return tc::Attr(out);
  }
  if (type == "scalar") return ParseNumber(text);
  if (type == "dtype") return tc::Attr::DType(text);
  return tc::Attr(text);  // string, device
}

const v1::OpSchema& FindOp(const std::vector<v1::OpSchema>& ops, const std::string& name) {
  for (const auto& o : ops) {
    if (o.name() == name) return o;
  }
  throw tc::Error(
      5, absl::StrCat("unknown op '", name, "': `tensorctl ops` lists the ops this daemon has"));
}

struct Cli {
  std::string addr = EnvOr("TENSORD_ADDR", "127.0.0.1:50051");
  std::string session = EnvOr("TENSORD_SESSION", "tensorctl");
  int64_t lease = 3600;
  bool no_shared_memory = false;
  bool progress = false;  // progress lines even when stderr is not a terminal

  // One session per invocation, opened on first use.
  tc::Session Open() {
    if (!opened.has_value()) {
      opened = tc::Session::Open(tc::SessionConfig{.address = addr,
                                                   .name = session,
                                                   .lease_seconds = lease,
                                                   .shared_memory = !no_shared_memory});
    }
    return *opened;
  }
  // Ops are pipelined: wait for them so that their errors are reported.
  void Finish() {
    if (opened.has_value() && !closed) opened->Sync();
  }

  std::optional<tc::Session> opened;
  bool closed = false;
};

v1::TensorRef NameRef(const std::string& name) {
  v1::TensorRef r;
  r.set_name(name);
  return r;
}

// "79.19 GiB", "512 B".
std::string Bytes(int64_t n) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  return u == 0 ? absl::StrCat(n, " B") : absl::StrFormat("%.2f %s", v, units[u]);
}

// `tensorctl devices`: one aligned row per device.
void PrintDevices(const std::vector<v1::DeviceInfo>& devices) {
  std::vector<std::vector<std::string>> rows = {
      {"DEVICE", "NAME", "TOTAL", "USED", "CACHED", "DEFAULT"}};
  for (const v1::DeviceInfo& d : devices) {
    rows.push_back({d.name(), d.description(), Bytes(d.total_bytes()), Bytes(d.bytes_in_use()),
                    Bytes(d.bytes_cached()), d.is_default() ? "*" : ""});
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  }
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 2, ' ');
    }
    std::cout << absl::StripTrailingAsciiWhitespace(line) << "\n";
  }
}

void PrintSchema(const v1::OpSchema& op) {
  std::cout << op.name() << "(" << absl::StrJoin(op.inputs(), ", ") << ")";
  if (op.num_outputs() < 0) {
    std::cout << " -> a variable number of outputs";
  } else if (op.num_outputs() != 1) {
    std::cout << " -> " << op.num_outputs() << " outputs";
  }
  std::cout << "\n  " << op.doc() << "\n";
  for (const auto& a : op.attrs()) {
    std::cout << "  " << a.name() << ": " << a.type();
    if (a.required()) {
      std::cout << " (required)";
    } else {
      std::cout << " = " << a.default_value();
    }
    std::cout << "  " << a.doc() << "\n";
  }
  if (!op.inplace_variant().empty()) std::cout << "  in-place: " << op.inplace_variant() << "\n";
  if (op.supports_out()) std::cout << "  supports --out NAME\n";
  if (op.is_view()) std::cout << "  returns a view sharing the input's storage\n";
}

// ---- Files -------------------------------------------------------------------

// A bar on stderr for transfers over 4 MiB: redrawn on a terminal, plain
// lines at each 10% with --progress, else nothing.
tc::ProgressBar MakeBar(const Cli& cli) {
  return tc::ProgressBar(std::cerr,
                         tc::ProgressBar::ChooseMode(isatty(STDERR_FILENO) == 1, cli.progress));
}

// Output files are not replaced unless --force says so. `other` says how to
// name another file.
void CheckCanWrite(const std::string& path, bool force, const std::string& other) {
  std::error_code ec;
  const std::filesystem::file_status st = std::filesystem::symlink_status(path, ec);
  if (!std::filesystem::exists(st)) return;
  if (std::filesystem::is_directory(st)) {
    Fail(absl::StrCat(path, " is a directory: ", other, " that names a file"));
  }
  if (!force) {
    throw tc::Error(
        6, absl::StrCat(path, " already exists: pass --force to overwrite it, or ", other));
  }
}

// upload NAME FILE.npy
void Upload(Cli& cli, const std::string& name, const std::string& path, const tc::Options& o) {
  if (absl::EndsWith(path, ".safetensors")) {
    Fail(absl::StrCat(path,
                      ": upload reads .npy files; bind the tensors of a safetensors file "
                      "with `tensorctl load ",
                      path, "`"));
  }
  tc::Session s = cli.Open();
  tc::ProgressBar bar = MakeBar(cli);
  s.load_npy(path, o, name, bar.Callback());
}

// fetch NAME --out FILE.npy
void Fetch(Cli& cli, const std::string& name, const std::string& path, const std::string& dtype,
           bool force) {
  CheckCanWrite(path, force, "give another --out");
  tc::Tensor t = cli.Open().Named(name);
  if (dtype.empty() && t.dtype() == "bfloat16") {
    Fail(absl::StrCat(name,
                      " is bfloat16, which has no NumPy dtype: pass --dtype float32 to fetch it "
                      "converted, or keep it exact with `tensorctl save FILE.safetensors ",
                      name, "`"));
  }
  if (!dtype.empty()) t = t.to(dtype);
  tc::ProgressBar bar = MakeBar(cli);
  t.save_npy(path, bar.Callback());
}

// save FILE.safetensors NAME...
void Save(Cli& cli, const std::string& path, const std::vector<std::string>& names,
          const std::vector<std::string>& metadata, bool force) {
  std::map<std::string, std::string> meta;
  for (const std::string& kv : metadata) {
    const size_t eq = kv.find('=');
    if (eq == std::string::npos) {
      Fail(absl::StrCat("--metadata '", kv, "' is not KEY=VALUE, e.g. --metadata format=pt"));
    }
    meta[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  std::map<std::string, int> seen;
  for (const std::string& n : names) {
    if (++seen[n] == 2) Fail(absl::StrCat("'", n, "' is listed twice: name each tensor once"));
  }
  CheckCanWrite(path, force, "give another FILE");
  tc::Session s = cli.Open();
  std::vector<std::pair<std::string, tc::Tensor>> tensors;
  for (const std::string& n : names) tensors.emplace_back(n, s.Named(n));
  tc::ProgressBar bar = MakeBar(cli);
  s.save(path, tensors, meta, bar.Callback());
}

// load FILE.safetensors [NAME...]: binds PREFIX + each name.
void Load(Cli& cli, const std::string& path, const std::vector<std::string>& only,
          const std::string& prefix) {
  tc::Session s = cli.Open();
  if (only.empty() && prefix.empty()) {
    tc::ProgressBar bar = MakeBar(cli);
    s.load(path, /*bind_names=*/true, bar.Callback());
    return;
  }
  absl::StatusOr<tc::NamedTensors> file = tc::ReadSafetensors(path);
  if (!file.ok()) {
    throw tc::Error(
        static_cast<int>(file.status().code()),
        absl::StrCat(file.status().message(), file.status().code() == absl::StatusCode::kNotFound
                                                  ? "; check the path"
                                                  : ""));
  }
  std::vector<std::pair<std::string, tc::RawTensor>*> chosen;
  for (auto& entry : file->tensors) {
    if (only.empty() || absl::c_linear_search(only, entry.first)) chosen.push_back(&entry);
  }
  for (const std::string& n : only) {
    if (absl::c_none_of(chosen, [&](const auto* e) { return e->first == n; })) {
      std::vector<std::string> held;
      for (const auto& e : file->tensors) held.push_back(e.first);
      throw tc::Error(5, absl::StrCat(path, " has no tensor '", n, "'; it holds: ",
                                      held.empty() ? "none" : absl::StrJoin(held, ", ")));
    }
  }
  int64_t total = 0, base = 0;
  for (const auto* e : chosen) total += static_cast<int64_t>(e->second.data.size());
  tc::ProgressBar bar = MakeBar(cli);
  for (auto* e : chosen) {
    s.FromRaw(e->second, {}, prefix + e->first,
              [&](int64_t done, int64_t) { bar.Update(base + done, total); });
    base += static_cast<int64_t>(e->second.data.size());
    e->second.data = std::string();
  }
}

// Runs OP over ARGS (tensor names and NAME=VALUE attributes). Prints the
// result when it is not kept under a name, or when `show` is set.
void Exec(Cli& cli, const std::string& op_name, const std::vector<std::string>& args,
          const std::string& output, const std::string& out, bool show, const tc::Attrs& extra = {},
          bool no_grad = false) {
  tc::Session s = cli.Open();
  std::optional<tc::NoGradGuard> guard;
  if (no_grad) guard.emplace(s);
  const std::vector<v1::OpSchema> ops = s.ListOps();
  const v1::OpSchema& op = FindOp(ops, op_name);
  std::vector<v1::TensorRef> inputs;
  tc::Attrs attrs = extra;
  for (const std::string& arg : args) {
    const size_t eq = arg.find('=');
    if (eq == std::string::npos) {
      inputs.push_back(NameRef(arg));
      continue;
    }
    const std::string key = arg.substr(0, eq), value = arg.substr(eq + 1);
    const v1::AttrSchema* schema = nullptr;
    for (const auto& a : op.attrs()) {
      if (a.name() == key) schema = &a;
    }
    if (schema == nullptr) {
      std::vector<std::string> names;
      for (const auto& a : op.attrs()) names.push_back(a.name());
      Fail(absl::StrCat(op_name, " has no attribute '", key,
                        "'; it takes: ", names.empty() ? "none" : absl::StrJoin(names, ", "),
                        " (see tensorctl help ", op_name, ")"));
    }
    attrs.insert_or_assign(key, ParseAttr(op_name, schema->type(), key, value));
  }
  v1::TensorRef out_ref = NameRef(out);
  // -o a,b binds the outputs of a multi-output op in order.
  const std::vector<std::string> names =
      output.empty() ? std::vector<std::string>{} : absl::StrSplit(output, ',');
  std::vector<tc::Tensor> results =
      s.ExecAll(op_name, inputs, attrs, names, out.empty() ? nullptr : &out_ref);
  // Unnamed results are printed, then released as their handles go away.
  for (const tc::Tensor& r : results) {
    if (show || r.meta().name().empty()) std::cout << r.repr() << "\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  // Keep freed memory for reuse: faulting fresh pages in costs more than
  // copying large tensors into them.
  ::mallopt(M_MMAP_THRESHOLD, 32 << 20);
  ::mallopt(M_TRIM_THRESHOLD, 1 << 30);
  Cli cli;
  CLI::App app{
      "tensorctl: run tensor ops on a tensord daemon from the shell.\n"
      "Tensors are named (x, y); they live in a named session on the daemon that persists "
      "between invocations until its lease (default 1 h, renewed by each call) expires."};
  app.require_subcommand(1);
  app.add_option("--addr", cli.addr, "daemon address HOST:PORT (env TENSORD_ADDR)")
      ->capture_default_str();
  app.add_option("--session", cli.session, "session name (env TENSORD_SESSION)")
      ->capture_default_str();
  app.add_option("--lease", cli.lease, "session lease in seconds")->capture_default_str();
  app.add_flag("--no-shared-memory", cli.no_shared_memory,
               "move large tensors over the network even when the daemon runs on this host");

  // create NAME FACTORY SIZE...
  std::string c_name, c_kind, c_dtype, c_device, c_fill;
  std::vector<int64_t> c_size;
  bool c_show = false;
  auto* create =
      app.add_subcommand("create",
                         "NAME = torch.FACTORY(SIZE..., dtype=, device=), e.g. `create x zeros 5 3 "
                         "--dtype long`; FACTORY: empty zeros ones full rand randn");
  create->add_option("name", c_name, "name of the new tensor")->required();
  create->add_option("factory", c_kind, "empty, zeros, ones, full, rand or randn")->required();
  create->add_option("size", c_size, "sizes of each dim");
  create->add_option("--dtype", c_dtype, "float32 (float), float64 (double), int64 (long), ...");
  create->add_option("--device", c_device, "cpu or cuda:N");
  create->add_option("--fill", c_fill, "fill value for `full`");
  create->add_flag("--show", c_show, "print the new tensor");

  // tensor NAME LITERAL
  std::string t_name, t_literal, t_dtype;
  bool t_show = false, t_grad = false;
  auto* tensor =
      app.add_subcommand("tensor", "NAME = torch.tensor(LITERAL), e.g. `tensor x \"[5.5, 3]\"`");
  tensor->add_option("name", t_name, "name of the new tensor")->required();
  tensor->add_option("literal", t_literal, "nested Python list: \"[[1, 2], [3, 4]]\"")->required();
  tensor->add_option("--dtype", t_dtype, "element type (default: inferred as torch.tensor does)");
  tensor->add_flag("--requires-grad", t_grad, "track gradients");
  tensor->add_flag("--show", t_show, "print the new tensor");

  // exec OP ARGS...
  std::string e_op, e_output, e_out;
  std::vector<std::string> e_args;
  bool e_show = false;
  auto* exec = app.add_subcommand(
      "exec",
      "Run any op: `exec OP INPUT... ATTR=VALUE... [-o NAME] [--out NAME]`. Inputs are tensor "
      "names; attributes are NAME=VALUE (lists as 5,3). Without -o the result is printed. "
      "In-place ops (add_) change their first input. E.g. `exec add x y -o z`, `exec add_ y x`, "
      "`exec view x size=-1,8 -o z`, `exec index x \"spec=:, 1\"`");
  exec->add_option("op", e_op, "op name (tensorctl ops lists them)")->required();
  exec->add_option("args", e_args, "tensor names and NAME=VALUE attributes");
  exec->add_option("-o,--output", e_output,
                   "bind the result to this name (NAME1,NAME2 for ops with several results)");
  exec->add_option("--out", e_out, "write the result into this existing tensor (out=)");
  exec->add_flag("--show", e_show, "print the result even when it is named");
  bool e_no_grad = false;
  exec->add_flag("--no-grad", e_no_grad, "run as under torch.no_grad(): record no graph");

  std::vector<std::string> names;
  auto* show = app.add_subcommand("show", "Print tensors as PyTorch prints them");
  show->add_option("names", names, "tensor names")->required();
  auto* size = app.add_subcommand("size", "Print x.size() (torch.Size) of each tensor");
  size->add_option("names", names, "tensor names")->required();
  std::string one_name;
  auto* item = app.add_subcommand("item", "Print x.item() of a one-element tensor");
  item->add_option("name", one_name, "tensor name")->required();
  auto* describe = app.add_subcommand(
      "describe", "Shape, strides, dtype, device, requires_grad and grad_fn of a tensor");
  describe->add_option("name", one_name, "tensor name")->required();
  auto* ls = app.add_subcommand("ls", "List the tensors of the session");
  auto* rm = app.add_subcommand("rm", "Release tensors");
  rm->add_option("names", names, "tensor names")->required();
  int64_t seed = 0;
  auto* seed_cmd = app.add_subcommand("seed", "torch.manual_seed(N) for this session");
  seed_cmd->add_option("seed", seed, "the seed")->required();
  auto* ops = app.add_subcommand("ops", "List the ops the daemon has");
  auto* devices = app.add_subcommand(
      "devices", "List the daemon's devices and their memory (* marks the default device)");
  std::string help_op;
  auto* help = app.add_subcommand("help", "Describe one op: inputs, attributes, defaults");
  help->add_option("op", help_op, "op name")->required();
  auto* close = app.add_subcommand("close", "Close the session, releasing all of its tensors");

  // Autograd.
  std::string b_gradient;
  bool b_retain = false;
  auto* backward =
      app.add_subcommand("backward",
                         "NAME.backward(): gradients accumulate into the .grad of leaves "
                         "(see `grad`); --gradient for a non-scalar NAME");
  backward->add_option("name", one_name, "tensor name")->required();
  backward->add_option("--gradient", b_gradient, "the v of a vector-Jacobian product");
  backward->add_flag("--retain-graph", b_retain, "keep the graph for another backward");
  std::string g_output;
  auto* grad = app.add_subcommand("grad", "Print NAME.grad (None when unset), or bind it with -o");
  grad->add_option("name", one_name, "tensor name")->required();
  grad->add_option("-o,--output", g_output, "bind the gradient to this name instead of printing");
  bool rg_off = false;
  auto* requires_grad = app.add_subcommand(
      "requires-grad", "NAME.requires_grad_(): NAME becomes a leaf that tracks gradients");
  requires_grad->add_option("name", one_name, "tensor name")->required();
  requires_grad->add_flag("--off", rg_off, "requires_grad_(False) instead");
  auto* grad_fn = app.add_subcommand(
      "grad-fn", "Print NAME.grad_fn as PyTorch does (<AddBackward0 object at 0x...>, or None)");
  grad_fn->add_option("name", one_name, "tensor name")->required();
  auto* retain_grad =
      app.add_subcommand("retain-grad", "NAME.retain_grad(): a non-leaf keeps its .grad");
  retain_grad->add_option("name", one_name, "tensor name")->required();
  auto* zero_grad = app.add_subcommand("zero-grad", "NAME.grad = None for each tensor");
  zero_grad->add_option("names", names, "tensor names")->required();
  std::string mode;
  auto* grad_mode =
      app.add_subcommand("grad-mode",
                         "on: record graphs (the default); off: the whole session runs as under "
                         "torch.no_grad()");
  grad_mode->add_option("mode", mode, "on or off")->required()->check(CLI::IsMember({"on", "off"}));

  // Files.
  const std::string progress_help =
      "show progress on stderr for transfers over 4 MiB even when it is not a terminal (a line "
      "at each 10%)";
  std::string u_name, u_file, u_dtype, u_device;
  bool u_grad = false;
  auto* upload = app.add_subcommand(
      "upload",
      "NAME = torch.from_numpy(numpy.load(FILE.npy)), e.g. `upload x x.npy --dtype float`");
  upload->add_option("name", u_name, "name of the new tensor")->required();
  upload->add_option("file", u_file, ".npy file (numpy.save)")->required();
  upload->add_option("--dtype", u_dtype, "convert to this element type (default: the file's)");
  upload->add_option("--device", u_device, "cpu or cuda:N");
  upload->add_flag("--requires-grad", u_grad, "track gradients");
  upload->add_flag("--progress", cli.progress, progress_help);

  std::string f_name, f_out, f_dtype;
  bool f_force = false;
  auto* fetch =
      app.add_subcommand("fetch", "numpy.save(FILE.npy, NAME.numpy()), e.g. `fetch x --out x.npy`");
  fetch->add_option("name", f_name, "tensor name")->required();
  fetch->add_option("-o,--out", f_out, ".npy file to write")->required();
  fetch->add_option("--dtype", f_dtype, "convert to this element type first (bfloat16 needs it)");
  fetch->add_flag("--force", f_force, "overwrite FILE when it exists");
  fetch->add_flag("--progress", cli.progress, progress_help);

  std::string st_file, st_prefix;
  std::vector<std::string> st_names, st_metadata;
  bool st_force = false;
  auto* save = app.add_subcommand(
      "save",
      "Save tensors to a safetensors file under their names (torch.save of a state dict), e.g. "
      "`save model.safetensors w b`");
  save->add_option("file", st_file, ".safetensors file to write")->required();
  save->add_option("names", st_names, "tensor names")->required();
  save->add_option("--metadata", st_metadata, "KEY=VALUE for the header's __metadata__");
  save->add_flag("--force", st_force, "overwrite FILE when it exists");
  save->add_flag("--progress", cli.progress, progress_help);
  auto* load = app.add_subcommand(
      "load",
      "Bind the tensors of a safetensors file to their names (all, or the NAMEs listed), e.g. "
      "`load model.safetensors --prefix old_`");
  load->add_option("file", st_file, ".safetensors file to read")->required();
  load->add_option("names", st_names, "load only these tensors");
  load->add_option("--prefix", st_prefix, "bind PREFIX + each name instead");
  load->add_flag("--progress", cli.progress, progress_help);

  CLI11_PARSE(app, argc, argv);

  try {
    if (create->parsed()) {
      tc::Attrs extra{{"size", c_size}};
      if (!c_dtype.empty()) extra.emplace("dtype", tc::Attr::DType(c_dtype));
      if (!c_device.empty()) extra.emplace("device", c_device);
      if (!c_fill.empty()) extra.emplace("fill_value", ParseNumber(c_fill));
      Exec(cli, c_kind, {}, c_name, "", c_show, extra);
    } else if (tensor->parsed()) {
      tc::Session s = cli.Open();
      s.tensor(t_literal, tc::Options{.dtype = t_dtype, .requires_grad = t_grad}, t_name);
      if (t_show) std::cout << s.Named(t_name).repr() << "\n";
    } else if (exec->parsed()) {
      Exec(cli, e_op, e_args, e_output, e_out, e_show, {}, e_no_grad);
    } else if (backward->parsed()) {
      tc::Session s = cli.Open();
      std::optional<tc::Tensor> gradient;
      if (!b_gradient.empty()) gradient = s.Named(b_gradient);
      s.Named(one_name).backward(gradient, b_retain);
    } else if (grad->parsed()) {
      std::optional<tc::Tensor> g = cli.Open().Named(one_name).grad(g_output);
      if (g_output.empty()) std::cout << (g.has_value() ? g->repr() : "None") << "\n";
      if (!g.has_value() && !g_output.empty()) {
        std::cerr << "tensorctl: " << one_name << ".grad is None: run backward first\n";
        return 1;
      }
    } else if (requires_grad->parsed()) {
      cli.Open().Named(one_name).requires_grad_(!rg_off);
    } else if (grad_fn->parsed()) {
      std::cout << cli.Open().Named(one_name).grad_fn_repr() << "\n";
    } else if (retain_grad->parsed()) {
      cli.Open().Named(one_name).retain_grad();
    } else if (zero_grad->parsed()) {
      tc::Session s = cli.Open();
      for (const auto& n : names) s.Named(n).set_grad(std::nullopt);
    } else if (grad_mode->parsed()) {
      cli.Open().set_grad_enabled(mode == "on");
    } else if (show->parsed()) {
      tc::Session s = cli.Open();
      for (const auto& n : names) std::cout << s.Named(n).repr() << "\n";
    } else if (size->parsed()) {
      tc::Session s = cli.Open();
      std::vector<std::string> parts;
      for (const auto& n : names) parts.push_back(tc::FormatSize(s.Named(n).size().dims));
      std::cout << absl::StrJoin(parts, " ") << "\n";
    } else if (item->parsed()) {
      std::cout << cli.Open().Named(one_name).item_repr() << "\n";
    } else if (describe->parsed()) {
      tc::Tensor t = cli.Open().Named(one_name);
      const v1::TensorMeta& m = t.meta();
      std::cout << "name: " << m.name() << "\nhandle: " << m.handle()
                << "\nsize: " << tc::FormatSize({m.shape().begin(), m.shape().end()})
                << "\nstride: (" << absl::StrJoin(m.strides(), ", ") << ")"
                << "\nstorage_offset: " << m.storage_offset() << "\ndtype: torch." << t.dtype()
                << "\ndevice: " << m.device()
                << "\nrequires_grad: " << (m.requires_grad() ? "True" : "False")
                << "\ngrad_fn: " << (m.grad_fn().empty() ? "None" : m.grad_fn())
                << "\nis_leaf: " << (m.is_leaf() ? "True" : "False") << "\nnbytes: " << m.nbytes()
                << "\n";
    } else if (ls->parsed()) {
      for (const auto& m : cli.Open().ListTensors()) {
        std::cout << (m.name().empty() ? absl::StrCat("#", m.handle()) : m.name()) << "\t"
                  << tc::FormatSize({m.shape().begin(), m.shape().end()}) << "\ttorch."
                  << absl::AsciiStrToLower(v1::DType_Name(m.dtype())) << "\t" << m.device() << "\n";
      }
    } else if (rm->parsed()) {
      std::vector<v1::TensorRef> refs;
      for (const auto& n : names) refs.push_back(NameRef(n));
      cli.Open().Release(refs);
    } else if (seed_cmd->parsed()) {
      cli.Open().manual_seed(static_cast<uint64_t>(seed));
    } else if (devices->parsed()) {
      PrintDevices(cli.Open().ListDevices());
    } else if (ops->parsed()) {
      for (const auto& o : cli.Open().ListOps()) {
        std::cout << o.name() << "(" << absl::StrJoin(o.inputs(), ", ") << ")\t" << o.doc() << "\n";
      }
    } else if (help->parsed()) {
      tc::Session s = cli.Open();
      PrintSchema(FindOp(s.ListOps(), help_op));
    } else if (upload->parsed()) {
      Upload(cli, u_name, u_file,
             tc::Options{.dtype = u_dtype, .device = u_device, .requires_grad = u_grad});
    } else if (fetch->parsed()) {
      Fetch(cli, f_name, f_out, f_dtype, f_force);
    } else if (save->parsed()) {
      Save(cli, st_file, st_names, st_metadata, st_force);
    } else if (load->parsed()) {
      Load(cli, st_file, st_names, st_prefix);
    } else if (close->parsed()) {
      tc::Session s = cli.Open();
      s.Close();
      cli.closed = true;
    }
    cli.Finish();
  } catch (const tc::Error& e) {
    std::cerr << "tensorctl: " << e.code_name() << ": " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "tensorctl: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
