// tensorctl: drive tensord from a shell. Tensors are named by the user and
// live in a named session that persists between invocations (address and
// session from --addr/--session or TENSORD_ADDR/TENSORD_SESSION).
// `tensorctl --help` and `tensorctl SUBCOMMAND --help` describe each command.
#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
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

  // One session per invocation, opened on first use.
  tc::Session Open() {
    if (!opened.has_value()) {
      opened = tc::Session::Open(
          tc::SessionConfig{.address = addr, .name = session, .lease_seconds = lease});
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
    } else if (ops->parsed()) {
      for (const auto& o : cli.Open().ListOps()) {
        std::cout << o.name() << "(" << absl::StrJoin(o.inputs(), ", ") << ")\t" << o.doc() << "\n";
      }
    } else if (help->parsed()) {
      tc::Session s = cli.Open();
      PrintSchema(FindOp(s.ListOps(), help_op));
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
