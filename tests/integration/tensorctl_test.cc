// The tensorctl command line and the blitz examples, run as subprocesses
// against a real tensord: create/tensor/exec/show/size/item/describe/ls/rm/
// seed/ops/help/close, `--help` on every subcommand, errors (non-zero exit,
// the daemon's message on stderr), named sessions persisting between
// invocations, client/examples/blitz.sh and the C++ blitz program; files:
// upload/fetch of .npy checked with numpy, save/load of safetensors checked
// with the spec-based reader of tests/client/check_formats.py, the progress
// bar of large transfers, and file errors.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/daemon_fixture.h"

namespace tensord::testing {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::MatchesRegex;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kZerosLong[] =
    "tensor([[0, 0, 0],\n"
    "        [0, 0, 0],\n"
    "        [0, 0, 0],\n"
    "        [0, 0, 0],\n"
    "        [0, 0, 0]])\n";

// The Python lines the blitz examples echo, in order.
const std::vector<std::string> kBlitzSteps = {
    "torch.empty(5, 3)",
    "torch.rand(5, 3)",
    "torch.zeros(5, 3, dtype=torch.long)",
    "torch.tensor([5.5, 3])",
    "x = torch.zeros(5, 3, dtype=torch.double)",
    "x = x.new_ones(5, 3, dtype=torch.double)",
    "x",
    "x = torch.randn_like(x, dtype=torch.float)",
    "x",
    "x.size()",
    "y = torch.rand(5, 3)",
    "x + y",
    "torch.add(x, y)",
    "result = torch.empty(5, 3)",
    "torch.add(x, y, out=result)",
    "result",
    "y.add_(x)",
    "y",
    "x[:, 1]",
    "x = torch.randn(4, 4)",
    "y = x.view(16)",
    "z = x.view(-1, 8)",
    "x.size(), y.size(), z.size()",
    "x = torch.randn(1)",
    "x",
    "x.item()",
    "x = torch.ones(2, 2, requires_grad=True)",
    "x",
    "y = x + 2",
    "y",
    "y.grad_fn",
    "z = y * y * 3",
    "out = z.mean()",
    "z, out",
    "a = torch.randn(2, 2)",
    "a = ((a * 3) / (a - 1))",
    "a.requires_grad",
    "a.requires_grad_(True)",
    "a.requires_grad",
    "b = (a * a).sum()",
    "b.grad_fn",
    "out.backward()",
    "x.grad",
    "x = torch.randn(3, requires_grad=True)",
    "y = x * 2",
    "while y.data.norm() < 1000: y = y * 2",
    "y",
    "v = torch.tensor([0.1, 1.0, 0.0001], dtype=torch.float)",
    "y.backward(v)",
    "x.grad",
    "x.requires_grad",
    "(x ** 2).requires_grad",
    "with torch.no_grad(): (x ** 2).requires_grad",
    "y = x.detach()",
    "y.requires_grad",
    "x.eq(y).all()",
};

// The python3 with numpy that CMake found, or "" (tests that need it skip).
std::string NumpyPython() {
#ifdef TENSORD_NUMPY_PYTHON
  return TENSORD_NUMPY_PYTHON;
#else
  return "";
#endif
}

#define REQUIRE_NUMPY()                                                                         \
  if (NumpyPython().empty()) {                                                                  \
    GTEST_SKIP() << "no python3 with numpy: install python3-numpy or set TENSORD_NUMPY_PYTHON"; \
  }

std::string Describe(const ProcessResult& r) {
  return "exit " + std::to_string(r.exit_code) + (r.timed_out ? " (timed out)" : "") +
         "\n--- stdout ---\n" + r.out + "--- stderr ---\n" + r.err;
}

struct Step {
  std::string python;
  std::string output;  // what followed the step line, newline-terminated lines
};

// Splits blitz output into its ">>> " steps; section headers and blank lines
// are dropped.
std::vector<Step> ParseSteps(const std::string& text) {
  std::vector<Step> steps;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(">>> ", 0) == 0) {
      steps.push_back(Step{line.substr(4), ""});
    } else if (line.empty() || line.rfind("## ", 0) == 0) {
      continue;
    } else if (!steps.empty()) {
      steps.back().output += line + "\n";
    }
  }
  return steps;
}

// Checks what every blitz variant must print.
void CheckBlitzOutput(const std::string& text) {
  EXPECT_THAT(text, HasSubstr("## Tensors\n"));
  EXPECT_THAT(text, HasSubstr("## Operations\n"));
  long step_lines = 0;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) step_lines += line.rfind(">>> ", 0) == 0;
  EXPECT_EQ(step_lines, static_cast<long>(kBlitzSteps.size()));
  const std::vector<Step> steps = ParseSteps(text);
  std::vector<std::string> names;
  for (const Step& s : steps) names.push_back(s.python);
  ASSERT_EQ(names, kBlitzSteps) << text;
  // Every '>' is a step prompt or closes a grad_fn repr.
  long grad_fns = 0;
  for (size_t p = text.find("Backward"); p != std::string::npos; p = text.find("Backward", p + 1)) {
    ++grad_fns;
  }
  ASSERT_EQ(std::count(text.begin(), text.end(), '>'),
            3 * static_cast<long>(kBlitzSteps.size()) + grad_fns)
      << "stray '>' in the output";

  auto out = [&](size_t i) -> const std::string& { return steps.at(i).output; };
  EXPECT_THAT(out(0), StartsWith("tensor([[")) << "torch.empty";
  EXPECT_THAT(out(1), StartsWith("tensor([[")) << "torch.rand";
  EXPECT_EQ(out(2), kZerosLong);
  EXPECT_EQ(out(3), "tensor([5.5000, 3.0000])\n");
  EXPECT_EQ(out(4), "");
  EXPECT_EQ(out(5), "");
  EXPECT_EQ(out(6),
            "tensor([[1., 1., 1.],\n"
            "        [1., 1., 1.],\n"
            "        [1., 1., 1.],\n"
            "        [1., 1., 1.],\n"
            "        [1., 1., 1.]], dtype=torch.float64)\n");
  EXPECT_THAT(out(8), StartsWith("tensor([[")) << "randn_like";
  EXPECT_THAT(out(8), Not(HasSubstr("dtype="))) << "randn_like(dtype=torch.float) is float32";
  EXPECT_EQ(out(9), "torch.Size([5, 3])\n");
  // x + y, torch.add, out=result and y after y.add_(x) all print the same.
  EXPECT_THAT(out(11), StartsWith("tensor([["));
  EXPECT_EQ(std::count(out(11).begin(), out(11).end(), '\n'), 5);
  EXPECT_EQ(out(12), out(11));
  EXPECT_EQ(out(15), out(11));
  EXPECT_EQ(out(17), out(11));
  // x[:, 1] is a 1-D tensor of 5 values.
  EXPECT_THAT(out(18), StartsWith("tensor(["));
  EXPECT_THAT(out(18), Not(StartsWith("tensor([[")));
  EXPECT_EQ(std::count(out(18).begin(), out(18).end(), ','), 4) << out(18);
  EXPECT_EQ(out(22), "torch.Size([4, 4]) torch.Size([16]) torch.Size([2, 8])\n");
  // x = torch.randn(1); x; x.item(): the item is the printed value unrounded.
  const std::string x = out(24), item = out(25);
  ASSERT_THAT(x, StartsWith("tensor(["));
  const double shown = std::stod(x.substr(8));
  const double value = std::stod(item);
  EXPECT_NEAR(shown, value, 0.00005 + 1e-12) << x << item;
  EXPECT_GT(item.size(), 8u) << "item() prints full precision: " << item;

  // Autograd, with the values and reprs PyTorch 1.13 prints.
  EXPECT_EQ(out(27), "tensor([[1., 1.],\n        [1., 1.]], requires_grad=True)\n");
  EXPECT_EQ(out(29), "tensor([[3., 3.],\n        [3., 3.]], grad_fn=<AddBackward0>)\n");
  EXPECT_THAT(out(30), MatchesRegex("<AddBackward0 object at 0x[0-9a-f]+>\n"));
  EXPECT_EQ(out(33),
            "tensor([[27., 27.],\n        [27., 27.]], grad_fn=<MulBackward0>) "
            "tensor(27., grad_fn=<MeanBackward0>)\n");
  EXPECT_EQ(out(36), "False\n");
  EXPECT_EQ(out(38), "True\n");
  EXPECT_THAT(out(40), MatchesRegex("<SumBackward0 object at 0x[0-9a-f]+>\n"));
  EXPECT_EQ(out(42), "tensor([[4.5000, 4.5000],\n        [4.5000, 4.5000]])\n");
  EXPECT_THAT(out(46), HasSubstr("grad_fn=<MulBackward0>"));
  EXPECT_THAT(out(49), StartsWith("tensor(["));
  EXPECT_EQ(out(50), "True\n");
  EXPECT_EQ(out(51), "True\n");
  EXPECT_EQ(out(52), "False\n");
  EXPECT_EQ(out(54), "False\n");
  EXPECT_EQ(out(55), "tensor(True)\n");
}

class TensorctlTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { daemon_ = new TensordDaemon(); }
  static void TearDownTestSuite() {
    delete daemon_;
    daemon_ = nullptr;
  }
  void SetUp() override {
    const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
    session_ = std::string("ctl-") + info->name();
  }

  // tensorctl ARGS... in this test's named session.
  ProcessResult Ctl(std::vector<std::string> args, const std::string& session = "") const {
    args.insert(args.begin(), TensorctlBinary());
    return RunProcess(args, {{"TENSORD_ADDR", daemon_->address()},
                             {"TENSORD_SESSION", session.empty() ? session_ : session}});
  }
  // Same, and it must succeed; returns stdout.
  std::string Ok(std::vector<std::string> args, const std::string& session = "") const {
    std::string joined;
    for (const std::string& a : args) joined += " " + a;
    const ProcessResult r = Ctl(std::move(args), session);
    EXPECT_EQ(r.exit_code, 0) << "tensorctl" << joined << "\n" << Describe(r);
    EXPECT_EQ(r.err, "") << "tensorctl" << joined;
    return r.out;
  }
  // Same, and it must fail; returns stderr.
  std::string Fails(std::vector<std::string> args) const {
    std::string joined;
    for (const std::string& a : args) joined += " " + a;
    const ProcessResult r = Ctl(std::move(args));
    EXPECT_NE(r.exit_code, 0) << "tensorctl" << joined << "\n" << Describe(r);
    EXPECT_EQ(r.out, "") << "tensorctl" << joined;
    EXPECT_THAT(r.err, StartsWith("tensorctl: ")) << "tensorctl" << joined;
    return r.err;
  }

  // A directory for this test's files, removed with the daemon.
  std::string Dir() const {
    const std::string dir = daemon_->temp_dir() + "/" + session_;
    std::filesystem::create_directories(dir);
    return dir;
  }
  // Runs a Python script with numpy (argv[1:] = args); it must succeed.
  std::string Python(const std::string& script, std::vector<std::string> args = {}) const {
    args.insert(args.begin(), {NumpyPython(), "-c", script});
    const ProcessResult r = RunProcess(args, {}, std::chrono::seconds(60));
    EXPECT_EQ(r.exit_code, 0) << script << "\n" << Describe(r);
    return r.out;
  }

  static TensordDaemon* daemon_;
  std::string session_;
};
TensordDaemon* TensorctlTest::daemon_ = nullptr;

TEST_F(TensorctlTest, CreateShowSizeItemDescribe) {
  EXPECT_EQ(Ok({"create", "z", "zeros", "5", "3", "--dtype", "long", "--show"}), kZerosLong);
  EXPECT_EQ(Ok({"show", "z"}), kZerosLong);
  EXPECT_EQ(Ok({"size", "z"}), "torch.Size([5, 3])\n");
  EXPECT_EQ(Ok({"tensor", "v", "[5.5, 3]", "--show"}), "tensor([5.5000, 3.0000])\n");
  EXPECT_EQ(Ok({"tensor", "s", "[2.5]"}), "");
  EXPECT_EQ(Ok({"item", "s"}), "2.5\n");
  EXPECT_EQ(Ok({"tensor", "n", "7"}), "");
  EXPECT_EQ(Ok({"item", "n"}), "7\n");
  EXPECT_EQ(Ok({"show", "v", "n"}), "tensor([5.5000, 3.0000])\ntensor(7)\n");
  EXPECT_EQ(Ok({"size", "z", "v", "n"}), "torch.Size([5, 3]) torch.Size([2]) torch.Size([])\n");
  EXPECT_EQ(Ok({"create", "f", "full", "2", "--fill", "1.5", "--dtype", "double", "--show"}),
            "tensor([1.5000, 1.5000], dtype=torch.float64)\n");
  EXPECT_EQ(Ok({"create", "o", "ones", "2", "2"}), "");
  EXPECT_EQ(Ok({"show", "o"}), "tensor([[1., 1.],\n        [1., 1.]])\n");
  const std::string d = Ok({"describe", "z"});
  EXPECT_THAT(d, AllOf(HasSubstr("name: z\n"), HasSubstr("size: torch.Size([5, 3])\n"),
                       HasSubstr("stride: (3, 1)\n"), HasSubstr("dtype: torch.int64\n"),
                       HasSubstr("device: cpu\n"), HasSubstr("nbytes: 120\n")));
}

TEST_F(TensorctlTest, ExecPrintsOrBindsResults) {
  Ok({"tensor", "x", "[[1., 2., 3.], [4., 5., 6.]]"});
  Ok({"tensor", "y", "[[0.5, 0.5, 0.5], [1., 1., 1.]]"});
  const std::string sum =
      "tensor([[1.5000, 2.5000, 3.5000],\n"
      "        [5.0000, 6.0000, 7.0000]])\n";
  EXPECT_EQ(Ok({"exec", "add", "x", "y"}), sum);
  EXPECT_EQ(Ok({"exec", "add", "x", "y", "-o", "z"}), "");
  EXPECT_EQ(Ok({"show", "z"}), sum);
  EXPECT_EQ(Ok({"exec", "add", "x", "y", "-o", "w", "--show"}), sum);
  // out=: written into an existing tensor.
  Ok({"create", "result", "empty", "2", "3"});
  EXPECT_EQ(Ok({"exec", "add", "x", "y", "--out", "result"}), "");
  EXPECT_EQ(Ok({"show", "result"}), sum);
  // In place.
  EXPECT_EQ(Ok({"exec", "add_", "y", "x"}), "");
  EXPECT_EQ(Ok({"show", "y"}), sum);
  // Attributes.
  EXPECT_EQ(Ok({"exec", "add", "x", "y", "alpha=2"}),
            "tensor([[ 4.,  7., 10.],\n"
            "        [14., 17., 20.]])\n");
  EXPECT_EQ(Ok({"exec", "mul", "x", "other=2"}),
            "tensor([[ 2.,  4.,  6.],\n"
            "        [ 8., 10., 12.]])\n");
  EXPECT_EQ(Ok({"exec", "index", "x", "spec=:, 1"}), "tensor([2., 5.])\n");
  EXPECT_EQ(Ok({"exec", "sum", "x"}), "tensor(21.)\n");
  EXPECT_EQ(Ok({"exec", "mean", "x"}), "tensor(3.5000)\n");
  EXPECT_EQ(Ok({"exec", "sum", "x", "dim=0"}), "tensor([5., 7., 9.])\n");
  EXPECT_EQ(Ok({"exec", "t", "x"}),
            "tensor([[1., 4.],\n"
            "        [2., 5.],\n"
            "        [3., 6.]])\n");
  Ok({"exec", "t", "x", "-o", "xt"});
  EXPECT_EQ(Ok({"exec", "matmul", "x", "xt"}),
            "tensor([[14., 32.],\n"
            "        [32., 77.]])\n");
  // Views.
  Ok({"create", "a", "randn", "4", "4"});
  EXPECT_EQ(Ok({"exec", "view", "a", "size=16", "-o", "b"}), "");
  EXPECT_EQ(Ok({"exec", "view", "a", "size=-1,8", "-o", "c"}), "");
  EXPECT_EQ(Ok({"size", "a", "b", "c"}),
            "torch.Size([4, 4]) torch.Size([16]) torch.Size([2, 8])\n");
  // A view shares storage: zeroing b zeroes a.
  Ok({"exec", "zero_", "b"});
  EXPECT_EQ(Ok({"exec", "sum", "a"}), "tensor(0.)\n");
  // Type promotion: int64 + float32 is float32.
  Ok({"tensor", "i", "[1, 2, 3]"});
  Ok({"tensor", "g", "[0.5, 0.25, 1.]"});
  EXPECT_EQ(Ok({"exec", "add", "i", "g"}), "tensor([1.5000, 2.2500, 4.0000])\n");
  EXPECT_EQ(Ok({"exec", "add", "i", "other=2"}), "tensor([3, 4, 5])\n");
}

TEST_F(TensorctlTest, AutogradCommands) {
  // The blitz: x = ones(2, 2, requires_grad); out = ((x + 2) * (x + 2) * 3).mean().
  Ok({"create", "x", "ones", "2", "2"});
  Ok({"requires-grad", "x"});
  EXPECT_EQ(Ok({"show", "x"}),
            "tensor([[1., 1.],\n"
            "        [1., 1.]], requires_grad=True)\n");
  Ok({"exec", "add", "x", "other=2", "-o", "y"});
  Ok({"exec", "mul", "y", "y", "-o", "yy"});
  Ok({"exec", "mul", "yy", "other=3", "-o", "z"});
  Ok({"exec", "mean", "z", "-o", "out"});
  EXPECT_EQ(Ok({"show", "out"}), "tensor(27., grad_fn=<MeanBackward0>)\n");
  EXPECT_EQ(Ok({"grad", "x"}), "None\n");
  Ok({"backward", "out", "--retain-graph"});
  const std::string half =
      "tensor([[4.5000, 4.5000],\n"
      "        [4.5000, 4.5000]])\n";
  EXPECT_EQ(Ok({"grad", "x"}), half);
  // Accumulates across calls; zero-grad sets it back to None.
  Ok({"backward", "out"});
  EXPECT_EQ(Ok({"grad", "x", "-o", "gx"}), "");
  EXPECT_EQ(Ok({"show", "gx"}),
            "tensor([[9., 9.],\n"
            "        [9., 9.]])\n");
  Ok({"zero-grad", "x"});
  EXPECT_EQ(Ok({"grad", "x"}), "None\n");
  // The graph was freed by the last backward.
  EXPECT_THAT(Fails({"backward", "out"}), HasSubstr("a second time"));
  // Vector-Jacobian product, and its shape check.
  Ok({"tensor", "v", "[[1., 0.], [0., 1.]]"});
  Ok({"exec", "mul", "x", "other=2", "-o", "w"});
  Ok({"backward", "w", "--gradient", "v"});
  EXPECT_EQ(Ok({"grad", "x"}),
            "tensor([[2., 0.],\n"
            "        [0., 2.]])\n");
  Ok({"tensor", "bad", "[1., 2., 3.]"});
  Ok({"exec", "mul", "x", "other=2", "-o", "w"});
  EXPECT_THAT(Fails({"backward", "w", "--gradient", "bad"}), HasSubstr("Mismatch in shape"));
  EXPECT_THAT(Fails({"backward", "w"}), HasSubstr("only for scalar outputs"));
  // no_grad per command and for the session.
  Ok({"exec", "mul", "x", "x", "-o", "n", "--no-grad"});
  EXPECT_THAT(Ok({"describe", "n"}), HasSubstr("requires_grad: False"));
  Ok({"grad-mode", "off"});
  Ok({"exec", "mul", "x", "x", "-o", "n2"});
  EXPECT_THAT(Ok({"describe", "n2"}), HasSubstr("requires_grad: False"));
  Ok({"grad-mode", "on"});
  Ok({"exec", "mul", "x", "x", "-o", "n3"});
  EXPECT_THAT(Ok({"describe", "n3"}), HasSubstr("grad_fn: MulBackward0"));
  // requires_grad on an integer tensor.
  Ok({"create", "i", "zeros", "2", "--dtype", "long"});
  EXPECT_THAT(Fails({"requires-grad", "i"}), HasSubstr("floating point"));
}

TEST_F(TensorctlTest, LsAndRm) {
  Ok({"create", "a", "zeros", "2", "3", "--dtype", "long"});
  Ok({"tensor", "b", "[1.5]"});
  const std::string ls = Ok({"ls"});
  EXPECT_THAT(ls, HasSubstr("a\ttorch.Size([2, 3])\ttorch.int64\tcpu\n"));
  EXPECT_THAT(ls, HasSubstr("b\ttorch.Size([1])\ttorch.float32\tcpu\n"));
  EXPECT_EQ(std::count(ls.begin(), ls.end(), '\n'), 2) << ls;
  EXPECT_EQ(Ok({"rm", "a"}), "");
  EXPECT_EQ(Ok({"ls"}), "b\ttorch.Size([1])\ttorch.float32\tcpu\n");
  const std::string err = Fails({"show", "a"});
  EXPECT_THAT(err, AllOf(HasSubstr("NOT_FOUND"), HasSubstr("'a'")));
  // A bad name among several releases nothing.
  Fails({"rm", "b", "nosuch"});
  EXPECT_THAT(Ok({"ls"}), HasSubstr("b\t"));
  Ok({"rm", "b"});
  EXPECT_EQ(Ok({"ls"}), "");
}

TEST_F(TensorctlTest, OpsAndHelp) {
  const std::string ops = Ok({"ops"});
  for (const char* op : {"add(self, other?)\t", "add_(", "matmul(self, other)\t", "view(self)\t",
                         "index(self)\t", "sum(self)\t", "mean(self)\t", "rand()\t",
                         "randn_like(self)\t", "new_ones(self)\t", "copy_(self, src)\t"}) {
    EXPECT_THAT(ops, HasSubstr(op));
  }
  const std::string help = Ok({"help", "add"});
  EXPECT_THAT(help, AllOf(StartsWith("add(self, other?)\n"), HasSubstr("alpha: scalar = 1"),
                          HasSubstr("in-place: add_"), HasSubstr("supports --out NAME")));
  EXPECT_THAT(Ok({"help", "view"}), HasSubstr("returns a view sharing the input's storage"));
  const std::string err = Fails({"help", "frob"});
  EXPECT_THAT(err, AllOf(HasSubstr("NOT_FOUND"), HasSubstr("unknown op 'frob'")));
}

TEST_F(TensorctlTest, HelpWorksOnEverySubcommand) {
  const ProcessResult top = RunProcess({TensorctlBinary(), "--help"});
  EXPECT_EQ(top.exit_code, 0) << Describe(top);
  EXPECT_THAT(top.out, HasSubstr("Usage"));
  const std::vector<std::string> subs = {"create",   "tensor", "exec",  "show", "size", "item",
                                         "describe", "ls",     "rm",    "seed", "ops",  "help",
                                         "close",    "upload", "fetch", "save", "load"};
  for (const std::string& sub : subs) {
    EXPECT_THAT(top.out, HasSubstr("\n  " + sub + " ")) << sub << " is not listed";
    // No daemon is needed (nor contacted) for --help.
    const ProcessResult r =
        RunProcess({TensorctlBinary(), sub, "--help"}, {{"TENSORD_ADDR", "127.0.0.1:1"}});
    EXPECT_EQ(r.exit_code, 0) << sub << "\n" << Describe(r);
    EXPECT_THAT(r.out, HasSubstr("Usage")) << sub;
    EXPECT_THAT(r.out, HasSubstr(" " + sub)) << sub;
  }
  // No subcommand, or an unknown one, is a usage error.
  EXPECT_NE(RunProcess({TensorctlBinary()}).exit_code, 0);
  EXPECT_NE(RunProcess({TensorctlBinary(), "frobnicate"}).exit_code, 0);
}

TEST_F(TensorctlTest, ErrorsExitNonZeroWithTheDaemonsMessage) {
  Ok({"create", "x", "zeros", "5", "3"});
  Ok({"create", "y", "zeros", "4", "2"});
  EXPECT_THAT(Fails({"exec", "frob", "x"}),
              AllOf(HasSubstr("NOT_FOUND"), HasSubstr("unknown op 'frob'")));
  EXPECT_THAT(Fails({"exec", "add", "x", "nosuch"}),
              AllOf(HasSubstr("NOT_FOUND"), HasSubstr("no tensor named 'nosuch'")));
  EXPECT_THAT(Fails({"show", "nosuch"}), HasSubstr("'nosuch'"));
  EXPECT_THAT(Fails({"exec", "add", "x", "y", "bogus=3"}),
              AllOf(HasSubstr("INVALID_ARGUMENT"), HasSubstr("'bogus'"), HasSubstr("alpha")));
  EXPECT_THAT(Fails({"exec", "view", "x", "size=abc"}), HasSubstr("'abc' is not an integer"));
  EXPECT_THAT(Fails({"exec", "add", "x", "y"}),
              AllOf(HasSubstr("INVALID_ARGUMENT"), HasSubstr("[5, 3]"), HasSubstr("[4, 2]")));
  EXPECT_THAT(Fails({"exec", "view", "x", "size=7"}), HasSubstr("[7]"));
  EXPECT_THAT(Fails({"create", "b", "zeros", "2", "--dtype", "float33"}), HasSubstr("float33"));
  EXPECT_THAT(Fails({"create", "b", "zeros", "-2", "3"}), HasSubstr("-2"));
  EXPECT_THAT(Fails({"tensor", "b", "[1, [2]]"}), HasSubstr("literal"));
  EXPECT_THAT(Fails({"exec", "index", "x", "spec=:, x"}), HasSubstr("':, x'"));
  EXPECT_THAT(Fails({"item", "x"}), HasSubstr("15 elements"));
  // Failed commands left the session as it was.
  EXPECT_EQ(Ok({"size", "x", "y"}), "torch.Size([5, 3]) torch.Size([4, 2])\n");
  EXPECT_THAT(Fails({"show", "b"}), HasSubstr("NOT_FOUND"));
  // No daemon at the address: a clear message.
  const ProcessResult r = RunProcess({TensorctlBinary(), "--addr", "127.0.0.1:1", "ls"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("cannot reach tensord at 127.0.0.1:1"));
}

TEST_F(TensorctlTest, NamedSessionPersistsBetweenInvocations) {
  Ok({"tensor", "keep", "[1, 2, 3]"});
  EXPECT_EQ(Ok({"show", "keep"}), "tensor([1, 2, 3])\n");
  Ok({"exec", "mul_", "keep", "other=2"});
  EXPECT_EQ(Ok({"show", "keep"}), "tensor([2, 4, 6])\n");
  // Another session name does not see it; --session overrides the env.
  const ProcessResult other = Ctl({"show", "keep"}, session_ + "-other");
  EXPECT_NE(other.exit_code, 0) << Describe(other);
  EXPECT_EQ(Ok({"--session", session_, "show", "keep"}, session_ + "-other"),
            "tensor([2, 4, 6])\n");
  // Closing the session drops its tensors.
  Ok({"close"});
  EXPECT_THAT(Fails({"show", "keep"}), HasSubstr("NOT_FOUND"));
  EXPECT_EQ(Ok({"ls"}), "");
}

TEST_F(TensorctlTest, SeedMakesRandReproducible) {
  Ok({"seed", "3"});
  const std::string a = Ok({"exec", "rand", "size=6"});
  const std::string b = Ok({"exec", "rand", "size=6"});
  Ok({"seed", "3"});
  EXPECT_EQ(Ok({"exec", "rand", "size=6"}), a);
  EXPECT_EQ(Ok({"exec", "rand", "size=6"}), b);
  EXPECT_NE(a, b);
  EXPECT_THAT(a, StartsWith("tensor([0."));
}

TEST_F(TensorctlTest, BlitzScriptPrintsEveryStep) {
  const ProcessResult r = RunProcess({"/bin/bash", BlitzScript()},
                                     {{"TENSORD_ADDR", daemon_->address()},
                                      {"TENSORD_SESSION", session_},
                                      {"TENSORCTL", TensorctlBinary()}},
                                     std::chrono::seconds(60));
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(r.err, "");
  CheckBlitzOutput(r.out);
  // The script closes its session at the end.
  EXPECT_EQ(Ok({"ls"}), "");
}

TEST_F(TensorctlTest, BlitzProgramPrintsEveryStep) {
  const ProcessResult r = RunProcess({BlitzBinary(), daemon_->address()});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(r.err, "");
  CheckBlitzOutput(r.out);
  // TENSORD_ADDR is used without an argument.
  const ProcessResult env = RunProcess({BlitzBinary()}, {{"TENSORD_ADDR", daemon_->address()}});
  EXPECT_EQ(env.exit_code, 0) << Describe(env);
  // Both start from manual_seed(0) and run the same ops in the same order, so
  // everything but the uninitialized torch.empty prints the same.
  const ProcessResult script = RunProcess({"/bin/bash", BlitzScript()},
                                          {{"TENSORD_ADDR", daemon_->address()},
                                           {"TENSORD_SESSION", session_},
                                           {"TENSORCTL", TensorctlBinary()}},
                                          std::chrono::seconds(60));
  ASSERT_EQ(script.exit_code, 0) << Describe(script);
  const std::vector<Step> a = ParseSteps(r.out), b = ParseSteps(script.out);
  ASSERT_EQ(a.size(), b.size());
  // grad_fn ids differ between sessions; everything else prints the same.
  auto no_ids = [](std::string s) {
    static const std::regex kId("object at 0x[0-9a-f]+");
    return std::regex_replace(s, kId, "object at 0x...");
  };
  for (size_t i = 1; i < a.size(); ++i) {
    EXPECT_EQ(no_ids(a[i].output), no_ids(b[i].output)) << "step " << a[i].python;
  }
  // Without a daemon it fails with a clear message.
  const ProcessResult down = RunProcess({BlitzBinary(), "127.0.0.1:1"});
  EXPECT_NE(down.exit_code, 0);
  EXPECT_THAT(down.err, HasSubstr("cannot reach tensord"));
}

// ---- Files ---------------------------------------------------------------------

// Arrays numpy writes for the round trips: name -> expression.
const std::vector<std::pair<std::string, std::string>> kNpyArrays = {
    {"f32", "np.array([[1.5, -2.0, 3.25], [0.0, 1e-8, -0.0]], dtype=np.float32)"},
    {"f64", "np.array([0.1, -1e300, 42.0, np.inf])"},
    {"i64", "np.array([[1, -2], [2**63 - 1, -2**63]], dtype=np.int64)"},
    {"flag", "np.array([True, False, True])"},
    {"scalar", "np.array(2.5)"},
    {"empty", "np.zeros((0, 3), dtype=np.float32)"},
    // Fortran order and big-endian: tensord stores C order, little-endian.
    {"fortran", "np.asfortranarray(np.arange(6, dtype='>f8').reshape(2, 3))"},
};

// Checks that DIR/out_NAME.npy holds the array of DIR/NAME.npy (transposed
// with `transpose`): same shape, dtype (little-endian) and bytes.
constexpr char kCompareNpy[] = R"(
import sys
import numpy as np
d, want, got, transpose = sys.argv[1:5]
a = np.load(f"{d}/{want}.npy")
if transpose == "T":
    a = a.T
b = np.load(f"{d}/{got}.npy")
assert b.dtype == a.dtype.newbyteorder("<"), (a.dtype, b.dtype)
assert b.shape == a.shape, (a.shape, b.shape)
assert b.flags.c_contiguous
assert np.ascontiguousarray(a.astype(b.dtype)).tobytes() == b.tobytes(), (a, b)
print("same", got)
)";

TEST_F(TensorctlTest, NpyFilesRoundTripThroughNumpy) {
  REQUIRE_NUMPY();
  const std::string dir = Dir();
  std::string script = "import sys\nimport numpy as np\nd = sys.argv[1]\n";
  for (const auto& [name, expr] : kNpyArrays) {
    script += "np.save(f\"{d}/" + name + ".npy\", " + expr + ")\n";
  }
  Python(script, {dir});

  for (const auto& [name, expr] : kNpyArrays) {
    EXPECT_EQ(Ok({"upload", name, dir + "/" + name + ".npy"}), "") << name;
  }
  EXPECT_EQ(Ok({"size", "f32", "f64", "i64", "flag", "scalar", "empty", "fortran"}),
            "torch.Size([2, 3]) torch.Size([4]) torch.Size([2, 2]) torch.Size([3]) "
            "torch.Size([]) torch.Size([0, 3]) torch.Size([2, 3])\n");
  const std::string ls = Ok({"ls"});
  EXPECT_THAT(ls, AllOf(HasSubstr("f32\ttorch.Size([2, 3])\ttorch.float32\t"),
                        HasSubstr("f64\ttorch.Size([4])\ttorch.float64\t"),
                        HasSubstr("i64\ttorch.Size([2, 2])\ttorch.int64\t"),
                        HasSubstr("flag\ttorch.Size([3])\ttorch.bool\t"),
                        HasSubstr("scalar\ttorch.Size([])\ttorch.float64\t"),
                        HasSubstr("empty\ttorch.Size([0, 3])\ttorch.float32\t")));
  EXPECT_EQ(Ok({"show", "flag", "scalar", "fortran"}),
            "tensor([ True, False,  True])\n"
            "tensor(2.5000, dtype=torch.float64)\n"
            "tensor([[0., 1., 2.],\n"
            "        [3., 4., 5.]], dtype=torch.float64)\n");

  for (const auto& [name, expr] : kNpyArrays) {
    EXPECT_EQ(Ok({"fetch", name, "--out", dir + "/out_" + name + ".npy"}), "") << name;
    EXPECT_EQ(Python(kCompareNpy, {dir, name, "out_" + name, "-"}), "same out_" + name + "\n");
  }
  // A view that is not contiguous is written in C order.
  Ok({"exec", "t", "f32", "-o", "f32t"});
  Ok({"fetch", "f32t", "-o", dir + "/out_f32t.npy"});
  EXPECT_EQ(Python(kCompareNpy, {dir, "f32", "out_f32t", "T"}), "same out_f32t\n");

  // --dtype converts on the way in and out; --requires-grad makes a leaf.
  Ok({"upload", "w", dir + "/i64.npy", "--dtype", "float64", "--requires-grad"});
  const std::string d = Ok({"describe", "w"});
  EXPECT_THAT(d, AllOf(HasSubstr("dtype: torch.float64\n"), HasSubstr("requires_grad: True\n"),
                       HasSubstr("is_leaf: True\n"), HasSubstr("size: torch.Size([2, 2])\n")));
  Ok({"fetch", "i64", "--out", dir + "/i64_as_f32.npy", "--dtype", "float32"});
  EXPECT_EQ(Python("import sys\nimport numpy as np\na = np.load(sys.argv[1])\n"
                   "print(a.dtype, a.shape, a[0].tolist())",
                   {dir + "/i64_as_f32.npy"}),
            "float32 (2, 2) [1.0, -2.0]\n");
}

// Reads a safetensors file with check_formats.py's reader (written from the
// format's specification) and prints what it holds.
constexpr char kReadSafetensors[] = R"(
import os
import sys
import numpy as np
sys.path.insert(0, os.path.dirname(sys.argv[1]))
import check_formats
tensors, metadata, order = check_formats.st_read(sys.argv[2], strict_writer=True)
codes = {"F32": "<f4", "F64": "<f8", "I64": "<i8", "BOOL": "|b1"}
for name in order:
    code, shape, data = tensors[name]
    values = np.frombuffer(data, dtype=codes[code]).tolist() if code in codes else data.hex()
    print(name, code, list(shape), values)
print("metadata", sorted(metadata.items()))
)";

TEST_F(TensorctlTest, SafetensorsSaveIsReadableAndLoadsBack) {
  REQUIRE_NUMPY();
  const std::string dir = Dir(), file = dir + "/model.safetensors";
  Ok({"tensor", "layer.weight", "[[1., 2.], [3., 4.]]"});
  Ok({"tensor", "layer.bias", "[5, 6]"});
  Ok({"tensor", "mask", "[True, False]"});
  Ok({"exec", "to", "layer.weight", "dtype=bfloat16", "-o", "half"});
  EXPECT_EQ(Ok({"save", file, "layer.weight", "layer.bias", "mask", "half", "--metadata",
                "format=pt", "--metadata", "note=a=b"}),
            "");
  EXPECT_EQ(Python(kReadSafetensors, {CHECK_FORMATS_PY, file}),
            "half BF16 [2, 2] 803f004040408040\n"
            "layer.bias I64 [2] [5, 6]\n"
            "layer.weight F32 [2, 2] [1.0, 2.0, 3.0, 4.0]\n"
            "mask BOOL [2] [True, False]\n"
            "metadata [('format', 'pt'), ('note', 'a=b')]\n");

  // Another session binds every tensor under its name.
  const std::string other = session_ + "-other";
  EXPECT_EQ(Ok({"load", file}, other), "");
  EXPECT_EQ(Ok({"show", "layer.weight", "layer.bias", "mask", "half"}, other),
            "tensor([[1., 2.],\n        [3., 4.]])\n"
            "tensor([5, 6])\n"
            "tensor([ True, False])\n"
            "tensor([[1., 2.],\n        [3., 4.]], dtype=torch.bfloat16)\n");
  // Only the tensors listed, under a prefix.
  const std::string third = session_ + "-third";
  EXPECT_EQ(Ok({"load", file, "mask", "layer.bias", "--prefix", "old."}, third), "");
  const std::string ls = Ok({"ls"}, third);
  EXPECT_THAT(ls, AllOf(HasSubstr("old.mask\t"), HasSubstr("old.layer.bias\ttorch.Size([2])\t")));
  EXPECT_EQ(std::count(ls.begin(), ls.end(), '\n'), 2) << ls;

  // A file written by the spec-based writer (data in reverse name order).
  const std::string theirs = dir + "/theirs.safetensors";
  Python(R"(
import os
import struct
import sys
sys.path.insert(0, os.path.dirname(sys.argv[1]))
import check_formats
check_formats.st_write(sys.argv[2], {
    "a": ("F64", (2,), struct.pack("<2d", 0.5, -1.0)),
    "b": ("I32", (), struct.pack("<i", -7)),
}, metadata={"k": "v"})
)",
         {CHECK_FORMATS_PY, theirs});
  Ok({"load", theirs}, third);
  EXPECT_EQ(Ok({"show", "a", "b"}, third),
            "tensor([ 0.5000, -1.0000], dtype=torch.float64)\ntensor(-7, dtype=torch.int32)\n");
  Ok({"close"}, other);
  Ok({"close"}, third);
}

// "[####................] 20% 1.6/8.0 MiB 1.2 GB/s" lines: their percents.
std::vector<int> ProgressPercents(const std::string& err, const std::string& total) {
  const std::regex line("\\[[#.]{20}\\] ([0-9]+)% [0-9]+\\.[0-9]/" + total +
                        "( [0-9.]+ (B|kB|MB|GB)/s)?");
  std::vector<int> percents;
  std::istringstream in(err);
  for (std::string l; std::getline(in, l);) {
    std::smatch m;
    EXPECT_TRUE(std::regex_match(l, m, line)) << "not a progress line: '" << l << "'";
    if (!m.empty()) percents.push_back(std::stoi(m[1]));
  }
  return percents;
}

TEST_F(TensorctlTest, LargeTransfersShowProgressWhenAsked) {
  const std::string dir = Dir(), file = dir + "/big.npy";
  Ok({"create", "big", "ones", "2097152"});  // 8 MiB of float32
  // Over the network: the stream's chunks move the bar.
  ProcessResult r = Ctl({"--no-shared-memory", "fetch", "big", "--out", file, "--progress"});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err.find('\r'), std::string::npos) << "no redrawing when not a terminal";
  std::vector<int> percents = ProgressPercents(r.err, "8.0 MiB");
  EXPECT_GE(percents.size(), 5u) << r.err;
  EXPECT_TRUE(std::is_sorted(percents.begin(), percents.end())) << r.err;
  EXPECT_EQ(std::adjacent_find(percents.begin(), percents.end()), percents.end()) << r.err;
  ASSERT_FALSE(percents.empty());
  EXPECT_EQ(percents.back(), 100);

  r = Ctl({"--no-shared-memory", "upload", "big2", file, "--progress"});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  percents = ProgressPercents(r.err, "8.0 MiB");
  EXPECT_GE(percents.size(), 5u) << r.err;
  ASSERT_FALSE(percents.empty());
  EXPECT_EQ(percents.back(), 100);
  EXPECT_EQ(Ok({"exec", "sum", "big2"}), "tensor(2097152.)\n");

  // Through shared memory (when the daemon offers it) the transfer is one
  // step: at least the line at 100%.
  r = Ctl({"upload", "big3", file, "--progress"});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  percents = ProgressPercents(r.err, "8.0 MiB");
  ASSERT_FALSE(percents.empty()) << r.err;
  EXPECT_EQ(percents.back(), 100);

  // Safetensors: the bar counts every tensor's bytes.
  Ok({"create", "small", "ones", "1048576"});  // 4 MiB
  r = Ctl({"--no-shared-memory", "save", dir + "/two.safetensors", "big", "small", "--progress"});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  percents = ProgressPercents(r.err, "12.0 MiB");
  ASSERT_FALSE(percents.empty()) << r.err;
  EXPECT_EQ(percents.back(), 100);
  r = Ctl({"--no-shared-memory", "load", dir + "/two.safetensors", "--progress", "--prefix", "l"});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(ProgressPercents(r.err, "12.0 MiB").back(), 100) << r.err;

  // Without --progress stderr is not a terminal here: nothing. Transfers of
  // at most 4 MiB show nothing either.
  EXPECT_EQ(Ok({"fetch", "big", "--out", file, "--force"}), "");
  EXPECT_EQ(Ok({"--no-shared-memory", "fetch", "small", "--out", dir + "/small.npy", "--progress"}),
            "");
}

TEST_F(TensorctlTest, FileErrorsSayWhatToDo) {
  const std::string dir = Dir();
  Ok({"tensor", "x", "[1.5, 2.5]"});
  auto still_works = [&] { EXPECT_EQ(Ok({"show", "x"}), "tensor([1.5000, 2.5000])\n"); };

  const std::string missing = dir + "/missing.npy";
  EXPECT_THAT(Fails({"upload", "y", missing}),
              AllOf(HasSubstr("NOT_FOUND"), HasSubstr(missing), HasSubstr("check the path")));
  still_works();
  const std::string corrupt = dir + "/corrupt.npy";
  std::ofstream(corrupt) << "this is not a numpy file";
  EXPECT_THAT(Fails({"upload", "y", corrupt}),
              AllOf(HasSubstr("INVALID_ARGUMENT"), HasSubstr(corrupt), HasSubstr("not a .npy file"),
                    HasSubstr("numpy.save")));
  EXPECT_THAT(Fails({"load", corrupt}), AllOf(HasSubstr("INVALID_ARGUMENT"), HasSubstr(corrupt)));
  EXPECT_THAT(Fails({"upload", "y", dir + "/m.safetensors"}), HasSubstr("tensorctl load"));
  EXPECT_THAT(Fails({"show", "y"}), HasSubstr("NOT_FOUND"));
  still_works();

  // bfloat16 has no NumPy dtype: refused before anything is written.
  Ok({"tensor", "h", "[1.5, 2]", "--dtype", "bfloat16"});
  const std::string h_file = dir + "/h.npy";
  EXPECT_THAT(Fails({"fetch", "h", "--out", h_file}),
              AllOf(HasSubstr("bfloat16"), HasSubstr("--dtype float32"),
                    HasSubstr("tensorctl save FILE.safetensors h")));
  EXPECT_FALSE(std::filesystem::exists(h_file));
  Ok({"fetch", "h", "--out", h_file, "--dtype", "float32"});
  Ok({"upload", "h32", h_file});
  EXPECT_EQ(Ok({"show", "h32"}), "tensor([1.5000, 2.0000])\n");

  // Existing files are kept unless --force.
  EXPECT_THAT(Fails({"fetch", "x", "--out", h_file}),
              AllOf(HasSubstr("ALREADY_EXISTS"), HasSubstr(h_file), HasSubstr("--force")));
  EXPECT_EQ(Ok({"show", "h32"}), "tensor([1.5000, 2.0000])\n");
  Ok({"upload", "h32", h_file});
  EXPECT_EQ(Ok({"show", "h32"}), "tensor([1.5000, 2.0000])\n") << "the file was not replaced";
  Ok({"fetch", "x", "--out", h_file, "--force"});
  Ok({"upload", "h32", h_file});
  EXPECT_EQ(Ok({"show", "h32"}), "tensor([1.5000, 2.5000])\n");
  const std::string st = dir + "/x.safetensors";
  Ok({"save", st, "x"});
  EXPECT_THAT(Fails({"save", st, "h"}), AllOf(HasSubstr("already exists"), HasSubstr("--force")));
  Ok({"save", st, "h", "--force"});
  EXPECT_THAT(Fails({"fetch", "x", "--out", dir}), HasSubstr("is a directory"));

  // Unknown names.
  EXPECT_THAT(Fails({"fetch", "nosuch", "--out", dir + "/n.npy"}),
              AllOf(HasSubstr("NOT_FOUND"), HasSubstr("no tensor named 'nosuch'")));
  EXPECT_FALSE(std::filesystem::exists(dir + "/n.npy"));
  EXPECT_THAT(Fails({"save", dir + "/n.safetensors", "x", "nosuch"}),
              AllOf(HasSubstr("NOT_FOUND"), HasSubstr("'nosuch'")));
  EXPECT_FALSE(std::filesystem::exists(dir + "/n.safetensors"));
  EXPECT_THAT(Fails({"save", dir + "/n.safetensors", "x", "x"}), HasSubstr("listed twice"));
  EXPECT_THAT(Fails({"load", st, "zz"}),
              AllOf(HasSubstr("NOT_FOUND"), HasSubstr("has no tensor 'zz'; it holds: h")));
  EXPECT_THAT(Fails({"load", dir + "/none.safetensors"}),
              AllOf(HasSubstr("NOT_FOUND"), HasSubstr("check the path")));
  EXPECT_THAT(Fails({"save", dir + "/m.safetensors", "x", "--metadata", "oops"}),
              HasSubstr("KEY=VALUE"));
  EXPECT_THAT(Fails({"fetch", "x", "--out", dir + "/no/dir/x.npy"}),
              AllOf(HasSubstr("NOT_FOUND"), HasSubstr("check that the directory exists")));
  still_works();

  // The daemon's own refusal surfaces too: integers cannot require grad.
  Ok({"create", "i", "zeros", "2", "--dtype", "long"});
  Ok({"fetch", "i", "--out", dir + "/i.npy"});
  EXPECT_THAT(Fails({"upload", "j", dir + "/i.npy", "--requires-grad"}),
              HasSubstr("floating point"));
  EXPECT_THAT(Fails({"upload", "j", dir + "/i.npy", "--dtype", "float33"}), HasSubstr("float33"));
  still_works();
  EXPECT_EQ(Ok({"size", "i", "h", "h32"}), "torch.Size([2]) torch.Size([2]) torch.Size([2])\n");
}

}  // namespace
}  // namespace tensord::testing
