// The CUDA backend against the CPU backend, op by op: every op of the
// registry runs on the CPU and on cuda:0 with the same fresh random inputs
// (made on the CPU and moved with device::To, so both sides see identical
// values), and the outputs must agree (float tolerance per dtype, exact for
// integers and bool), as must the input gradients of a backward pass with
// the same output gradient on both sides.
//
// Cases come from consistency_cases.h. Each case runs in several variants:
// float32 with contiguous inputs and with transposed (strided) inputs, then
// with its random inputs in float64, float16, bfloat16, int64, int32 and
// bool (gradients in float32 and float64). Where the CPU refuses a variant,
// cuda:0 must refuse it with the same status code.
//
// Random ops: the CPU draws from a Mersenne Twister and CUDA from Philox,
// so the devices promise equal draws under one seed only each to itself:
// across devices, ranges, means and spreads are compared (permutations
// sorted); on cuda:0, the same seed must give the same tensor and the next
// draw a different one.
//
// BackendConsistency.Matches/OP runs on a GPU host only (skipped elsewhere,
// ctest label `gpu`); BackendConsistencyCoverage runs everywhere and fails
// for an op without a case or a case the CPU refuses.
//
// To add an op: give it a gradcheck case (tests/autograd/grad_cases.cc) if
// it has a derivative, otherwise a case in consistency_cases.cc.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "autograd/engine.h"
#include "autograd/op_registry.h"
#include "device/functional.h"
#include "device/generator.h"
#include "device/status_macros.h"
#include "gtest/gtest.h"
#include "tests/device/cuda/consistency_cases.h"
#include "tests/device/cuda/cuda_test_util.h"

namespace tensord::autograd::testing {
namespace {

using device::Device;
using device::DType;
using device::Tensor;
using device::testing::Cuda0;

struct Variant {
  std::string name;
  DType dtype = DType::kFloat32;
  bool strided = false;
  bool gradients = false;
};

// One device's side of a comparison: its own generator and context.
struct Side {
  explicit Side(Device d) : ctx(&gen, d, device::Limits{}) {}
  std::string name() const { return ctx.default_device().ToString(); }
  device::Generator gen;
  device::Context ctx;
};

struct Tolerance {
  double rtol = 0, atol = 0;  // atol is relative to max(1, max |cpu value|)
};

Tolerance ToleranceFor(DType t, double factor) {
  switch (t) {
    case DType::kFloat64:
      return {1e-9 * factor, 1e-9 * factor};
    case DType::kFloat32:
      return {1e-4 * factor, 1e-5 * factor};
    case DType::kFloat16:
      return {4e-3 * factor, 2e-3 * factor};
    case DType::kBFloat16:
      return {3e-2 * factor, 1.6e-2 * factor};
    default:
      return {0, 0};  // integers and bool: exact
  }
}

std::string ShapeString(const std::vector<int64_t>& s) {
  return absl::StrCat("[", absl::StrJoin(s, ", "), "]");
}

// The coordinates of flat index i in shape s.
std::string Coordinates(int64_t i, const std::vector<int64_t>& s) {
  std::vector<int64_t> c(s.size());
  for (size_t d = s.size(); d-- > 0;) {
    if (s[d] == 0) break;
    c[d] = i % s[d];
    i /= s[d];
  }
  return ShapeString(c);
}

bool IsCpu(const Tensor& t) { return t.device() == Device::Cpu(); }

// A tensor's values as doubles. A GPU tensor is moved first in its own
// dtype, so the comparison does not depend on the GPU's casts.
absl::StatusOr<std::vector<double>> HostValues(const device::Context& cpu, const Tensor& t) {
  Tensor host = t;
  if (!IsCpu(t)) {
    TD_ASSIGN_OR_RETURN(host, device::To(cpu, t, t.dtype(), Device::Cpu()));
  }
  TD_ASSIGN_OR_RETURN(Tensor d, device::To(cpu, host, DType::kFloat64));
  TD_ASSIGN_OR_RETURN(std::string bytes, device::ToHost(cpu, d));
  std::vector<double> out(d.numel());
  std::memcpy(out.data(), bytes.data(), bytes.size());
  return out;
}

// Empty when `gpu` matches `cpu` (same shape and dtype, on `device`, values
// within tolerance); otherwise what differs.
std::string CompareValues(const device::Context& ctx, const Tensor& cpu, const Tensor& gpu,
                          Tolerance tol, Check check) {
  if (cpu.shape() != gpu.shape() || cpu.dtype() != gpu.dtype()) {
    return absl::StrCat("cpu gives ", ShapeString(cpu.shape()), " ", DTypeName(cpu.dtype()),
                        ", cuda:0 gives ", ShapeString(gpu.shape()), " ", DTypeName(gpu.dtype()));
  }
  if (check == Check::kMetadata) return "";
  absl::StatusOr<std::vector<double>> a = HostValues(ctx, cpu);
  absl::StatusOr<std::vector<double>> b = HostValues(ctx, gpu);
  if (!a.ok() || !b.ok()) {
    return absl::StrCat("reading the values failed: cpu ", a.status().ToString(), ", cuda:0 ",
                        b.status().ToString());
  }
  if (check == Check::kPermutation) {
    std::sort(a->begin(), a->end());
    std::sort(b->begin(), b->end());
    return *a == *b ? "" : "the cuda:0 draw is not a permutation of the same values";
  }
  double scale = 1;
  for (double x : *a) {
    if (std::isfinite(x)) scale = std::max(scale, std::fabs(x));
  }
  int64_t bad = 0;
  std::string first;
  for (size_t i = 0; i < a->size(); ++i) {
    const double x = (*a)[i], y = (*b)[i];
    bool same;
    if (std::isnan(x) || std::isnan(y)) {
      same = std::isnan(x) && std::isnan(y);
    } else if (std::isinf(x) || std::isinf(y)) {
      same = x == y;
    } else {
      same = std::fabs(x - y) <= tol.atol * scale + tol.rtol * std::fabs(x);
    }
    if (same) continue;
    if (++bad <= 3) {
      absl::StrAppend(&first, "\n    at ", Coordinates(static_cast<int64_t>(i), cpu.shape()),
                      ": cpu ", x, " vs cuda:0 ", y, " (|diff| ", std::fabs(x - y), ", allowed ",
                      tol.atol * scale + tol.rtol * std::fabs(x), ")");
    }
  }
  if (bad == 0) return "";
  return absl::StrCat(bad, " of ", a->size(), " elements differ (", DTypeName(cpu.dtype()),
                      ", rtol ", tol.rtol, ", atol ", tol.atol, " x ", scale, "):", first);
}

struct Moments {
  double mean = 0, sd = 0, min = 0, max = 0;
};
Moments MomentsOf(const std::vector<double>& v) {
  Moments m{.min = v.empty() ? 0 : v[0], .max = v.empty() ? 0 : v[0]};
  for (double x : v) {
    m.mean += x;
    m.min = std::min(m.min, x);
    m.max = std::max(m.max, x);
  }
  m.mean /= std::max<size_t>(v.size(), 1);
  for (double x : v) m.sd += (x - m.mean) * (x - m.mean);
  m.sd = std::sqrt(m.sd / std::max<size_t>(v.size(), 1));
  return m;
}

// Draws: cuda:0's within the case's range, and its mean and spread those
// of the CPU's draws within six standard errors.
std::string CompareDraws(const device::Context& ctx, const ConsistencyCase& c, const Tensor& cpu,
                         const Tensor& gpu) {
  if (std::string meta = CompareValues(ctx, cpu, gpu, {}, Check::kMetadata); !meta.empty()) {
    return meta;
  }
  absl::StatusOr<std::vector<double>> a = HostValues(ctx, cpu);
  absl::StatusOr<std::vector<double>> b = HostValues(ctx, gpu);
  if (!a.ok() || !b.ok()) return "reading the draws failed";
  const Moments mc = MomentsOf(*a), mg = MomentsOf(*b);
  const double n = static_cast<double>(std::max<size_t>(a->size(), 1));
  std::string out;
  if (mg.min < c.low || mg.max > c.high) {
    absl::StrAppend(&out, "cuda:0 drew values in [", mg.min, ", ", mg.max, "], outside [", c.low,
                    ", ", c.high, "]; ");
  }
  if (std::fabs(mg.mean - mc.mean) > 6 * mc.sd * std::sqrt(2 / n) + 1e-6) {
    absl::StrAppend(&out, "means differ: cpu ", mc.mean, ", cuda:0 ", mg.mean, "; ");
  }
  if (std::fabs(mg.sd - mc.sd) > 0.1 * mc.sd + 1e-6) {
    absl::StrAppend(&out, "standard deviations differ: cpu ", mc.sd, ", cuda:0 ", mg.sd, "; ");
  }
  return out;
}

bool IsRandomInput(const ConsistencyCase& c, size_t i) {
  return !c.fixed.contains(i) && !c.index_below.contains(i) && !c.masks.contains(i);
}

// One side's run of a case: the inputs as passed, the outputs, and what
// backward left in the inputs' .grad.
struct Run {
  absl::Status status;
  std::vector<Variable> inputs;  // the leaves
  std::vector<Variable> outputs;
  absl::Status backward;
};

class Consistency {
 public:
  Consistency() : cpu_(Device::Cpu()), gpu_(Cuda0()) {}

  // Runs case `c` in every variant on both devices (on the CPU only with
  // cpu_only); returns the failures.
  std::vector<std::string> Compare(const ConsistencyCase& c, size_t case_index, bool cpu_only) {
    failures_.clear();
    cpu_ran_ = false;
    for (const Variant& v : VariantsOf(c)) {
      where_ = absl::StrCat("[", Describe(c), " | ", v.name, "] ");
      std::mt19937_64 rng(1000003 * case_index + std::hash<std::string>{}(v.name));
      if (!CompareVariant(c, v, rng, cpu_only)) break;
    }
    return failures_;
  }

  // Whether the CPU runs the case's float32 variant.
  bool RunsOnCpu(const ConsistencyCase& c, size_t case_index) {
    return Compare(c, case_index, /*cpu_only=*/true).empty() && cpu_ran_;
  }

 private:
  static std::vector<Variant> VariantsOf(const ConsistencyCase& c) {
    std::vector<Variant> out = {{"float32", DType::kFloat32, false, c.gradients}};
    bool random_inputs = false, matrices = false;
    for (size_t i = 0; i < c.shapes.size(); ++i) {
      if (!IsRandomInput(c, i)) continue;
      random_inputs = true;
      matrices |= c.shapes[i].size() >= 2;
    }
    if (c.check != Check::kValues || !random_inputs) return out;
    if (matrices) out.push_back({"float32 strided", DType::kFloat32, true, c.gradients});
    if (!c.sweep_dtypes) return out;
    out.push_back({"float64", DType::kFloat64, false, c.gradients});
    for (DType t :
         {DType::kFloat16, DType::kBFloat16, DType::kInt64, DType::kInt32, DType::kBool}) {
      out.push_back({std::string(DTypeName(t)), t, false, false});
    }
    return out;
  }

  void Fail(const std::string& what) { failures_.push_back(where_ + what); }

  // The values of random input i: floats from the case's domain, integers
  // in +-[1, 3] (never 0, so integer division is defined), bool 0/1.
  std::vector<double> Draw(const ConsistencyCase& c, size_t i, DType t, std::mt19937_64& rng) {
    const int64_t n = device::Numel(c.shapes[i]);
    std::vector<double> v(n);
    if (auto f = c.fixed.find(i); f != c.fixed.end()) return f->second.values;
    if (auto k = c.index_below.find(i); k != c.index_below.end()) {
      std::uniform_int_distribution<int64_t> index(0, k->second - 1);
      for (double& x : v) x = static_cast<double>(index(rng));
      return v;
    }
    std::uniform_real_distribution<double> any(-1.0, 1.0), pos(0.5, 2.0), mag(0.2, 1.0);
    std::uniform_int_distribution<int> bit(0, 1), small(1, 3);
    for (double& x : v) {
      if (c.masks.contains(i) || t == DType::kBool) {
        x = bit(rng);
      } else if (device::IsIntegral(t)) {
        const double sign = c.values == Domain::kPositive || bit(rng) ? 1 : -1;
        x = sign * std::round(small(rng) * c.scale);
      } else {
        switch (c.values) {
          case Domain::kAny:
            x = any(rng);
            break;
          case Domain::kPositive:
            x = pos(rng);
            break;
          case Domain::kAwayFromZero:
            x = mag(rng) * (bit(rng) ? 1 : -1);
            break;
        }
        x *= c.scale;
      }
    }
    return v;
  }

  // The inputs on the CPU and the same values on cuda:0 (moved with
  // device::To); the strided variant makes matrices transposed views.
  bool MakeInputs(const ConsistencyCase& c, const Variant& v, std::mt19937_64& rng,
                  std::vector<Tensor>& on_cpu, std::vector<Tensor>& on_gpu, bool cpu_only) {
    for (size_t i = 0; i < c.shapes.size(); ++i) {
      DType t = v.dtype;
      if (auto f = c.fixed.find(i); f != c.fixed.end()) t = f->second.dtype;
      if (c.index_below.contains(i)) t = DType::kInt64;
      if (c.masks.contains(i)) t = DType::kBool;
      const std::vector<double> values = Draw(c, i, t, rng);
      std::vector<int64_t> shape = c.shapes[i];
      const bool transpose = v.strided && IsRandomInput(c, i) && shape.size() >= 2;
      if (transpose) std::reverse(shape.begin(), shape.end());
      absl::StatusOr<Tensor> f64 =
          device::FromHost(cpu_.ctx, values.data(), values.size() * sizeof(double), shape,
                           DType::kFloat64, Device::Cpu());
      if (!f64.ok())
        return Fail(absl::StrCat("making input ", i, ": ", f64.status().ToString())), false;
      absl::StatusOr<Tensor> host = device::To(cpu_.ctx, *f64, t);
      if (!host.ok())
        return Fail(absl::StrCat("making input ", i, ": ", host.status().ToString())), false;
      Tensor gpu;
      if (!cpu_only) {
        absl::StatusOr<Tensor> moved = device::To(gpu_.ctx, *host, t, Cuda0());
        if (!moved.ok()) {
          return Fail(absl::StrCat("moving input ", i, " (", DTypeName(t), " ", ShapeString(shape),
                                   ") to cuda:0 failed: ", moved.status().ToString())),
                 false;
        }
        gpu = *moved;
      }
      if (transpose) {
        std::vector<int64_t> dims(shape.size());
        for (size_t d = 0; d < dims.size(); ++d)
          dims[d] = static_cast<int64_t>(dims.size() - 1 - d);
        absl::StatusOr<Tensor> a = host->Permute(dims);
        if (!a.ok()) return Fail(a.status().ToString()), false;
        *host = *a;
        if (!cpu_only) {
          absl::StatusOr<Tensor> b = gpu.Permute(dims);
          if (!b.ok()) return Fail(b.status().ToString()), false;
          gpu = *b;
        }
      }
      on_cpu.push_back(*host);
      on_gpu.push_back(gpu);
    }
    return true;
  }

  // The forward on one side: leaves that require grad where gradients are
  // compared, and for in-place ops a copy of input 0 to write into.
  Run Forward(Side& side, const ConsistencyCase& c, const Variant& v,
              const std::vector<Tensor>& inputs) {
    Run r;
    for (size_t i = 0; i < inputs.size(); ++i) {
      Variable var{inputs[i], nullptr};
      if (v.gradients && IsRandomInput(c, i) && device::IsFloating(inputs[i].dtype())) {
        if (absl::Status s = SetRequiresGrad(var, true); !s.ok()) {
          r.status = s;
          return r;
        }
      }
      r.inputs.push_back(var);
    }
    std::vector<Variable> call = r.inputs;
    if (c.on_copy && !call.empty()) {
      // A leaf that requires grad refuses in-place writes: write into x * 1
      // (clone where no gradient is taken, which keeps integer dtypes).
      absl::StatusOr<CallResult> copy =
          v.gradients ? Call(side.ctx, "mul", std::vector<Variable>{call[0]}, {{"other", 1.0}},
                             nullptr, true)
                      : Call(side.ctx, "clone", std::vector<Variable>{call[0]}, {}, nullptr, false);
      if (!copy.ok()) {
        r.status = copy.status();
        return r;
      }
      call[0] = copy->outputs[0];
    }
    absl::StatusOr<CallResult> out = Call(side.ctx, c.op, call, c.attrs, nullptr, v.gradients);
    if (!out.ok()) {
      r.status = out.status();
      return r;
    }
    r.outputs = std::move(out->outputs);
    return r;
  }

  // Returns false when the remaining variants should not run.
  bool CompareVariant(const ConsistencyCase& c, const Variant& v, std::mt19937_64& rng,
                      bool cpu_only) {
    std::vector<Tensor> in_cpu, in_gpu;
    if (!MakeInputs(c, v, rng, in_cpu, in_gpu, cpu_only)) return false;
    const bool primary = v.name == "float32";
    cpu_.gen.ManualSeed(42);
    Run a = Forward(cpu_, c, v, in_cpu);
    if (!a.status.ok() && primary) {
      // A derived in-place case that cannot write into its input is not run.
      if (!c.derived) Fail(absl::StrCat("the CPU refuses the case: ", a.status.ToString()));
      return false;
    }
    if (primary) cpu_ran_ = true;
    if (cpu_only) return true;
    gpu_.gen.ManualSeed(42);
    Run b = Forward(gpu_, c, v, in_gpu);
    if (!a.status.ok()) {
      if (b.status.code() != a.status.code()) {
        Fail(absl::StrCat(
            "the CPU refuses (", a.status.ToString(), ") but cuda:0 ",
            b.status.ok() ? std::string("runs it") : absl::StrCat("gives ", b.status.ToString())));
      }
      return true;
    }
    if (!b.status.ok()) {
      Fail(absl::StrCat("cuda:0 fails: ", b.status.ToString()));
      return true;
    }
    if (a.outputs.size() != b.outputs.size()) {
      Fail(absl::StrCat("cpu gives ", a.outputs.size(), " outputs, cuda:0 ", b.outputs.size()));
      return true;
    }
    for (size_t k = 0; k < a.outputs.size(); ++k) {
      const Tensor& x = a.outputs[k].tensor;
      const Tensor& y = b.outputs[k].tensor;
      if (!IsCpu(x)) {
        Fail(absl::StrCat("output ", k, " of the CPU run is on ", x.device().ToString()));
        continue;
      }
      if (y.device() != Cuda0()) {
        Fail(absl::StrCat("output ", k, " of the cuda:0 run is on ", y.device().ToString()));
        continue;
      }
      const std::string diff =
          c.check == Check::kRandom
              ? CompareDraws(cpu_.ctx, c, x, y)
              : CompareValues(cpu_.ctx, x, y, ToleranceFor(x.dtype(), c.tolerance), c.check);
      if (!diff.empty()) Fail(absl::StrCat("output ", k, ": ", diff));
    }
    if (c.check == Check::kRandom || c.check == Check::kPermutation) CompareRedraws(c, v, in_gpu);
    if (v.gradients && !a.outputs.empty() && a.outputs[0].requires_grad()) {
      CompareGradients(c, v, rng, a, b);
    }
    return true;
  }

  // On cuda:0, one seed gives one draw, and the next draw differs.
  void CompareRedraws(const ConsistencyCase& c, const Variant& v, const std::vector<Tensor>& in) {
    gpu_.gen.ManualSeed(7);
    Run first = Forward(gpu_, c, v, in);
    Run next = Forward(gpu_, c, v, in);
    gpu_.gen.ManualSeed(7);
    Run again = Forward(gpu_, c, v, in);
    if (!first.status.ok() || !next.status.ok() || !again.status.ok() || first.outputs.empty() ||
        next.outputs.empty() || again.outputs.empty()) {
      return Fail("drawing again on cuda:0 failed");
    }
    const Tensor& x = first.outputs[0].tensor;
    if (std::string d = CompareValues(cpu_.ctx, x, again.outputs[0].tensor, {}, Check::kValues);
        !d.empty()) {
      Fail(absl::StrCat("cuda:0 draws differently under the same seed: ", d));
    }
    if (x.numel() > 1 &&
        CompareValues(cpu_.ctx, x, next.outputs[0].tensor, {}, Check::kValues).empty()) {
      Fail("two successive cuda:0 draws are equal: the generator does not advance");
    }
  }

  // Backward from output 0 with one random output gradient on both sides.
  void CompareGradients(const ConsistencyCase& c, const Variant& v, std::mt19937_64& rng, Run& a,
                        Run& b) {
    const Tensor& out = a.outputs[0].tensor;
    std::uniform_real_distribution<double> any(-1.0, 1.0);
    std::vector<double> w(out.numel());
    for (double& x : w) x = any(rng);
    absl::StatusOr<Tensor> w64 = device::FromHost(cpu_.ctx, w.data(), w.size() * sizeof(double),
                                                  out.shape(), DType::kFloat64, Device::Cpu());
    absl::StatusOr<Tensor> w_cpu =
        w64.ok() ? device::To(cpu_.ctx, *w64, out.dtype()) : w64.status();
    absl::StatusOr<Tensor> w_gpu =
        w_cpu.ok() ? device::To(gpu_.ctx, *w_cpu, out.dtype(), Cuda0()) : w_cpu.status();
    if (!w_gpu.ok())
      return Fail(absl::StrCat("making the output gradient: ", w_gpu.status().ToString()));
    a.backward = Backward(cpu_.ctx, a.outputs[0], {.gradient = *w_cpu});
    b.backward = Backward(gpu_.ctx, b.outputs[0], {.gradient = *w_gpu});
    if (!a.backward.ok() || !b.backward.ok()) {
      if (a.backward.code() != b.backward.code()) {
        Fail(absl::StrCat("backward: cpu gives ", a.backward.ToString(), ", cuda:0 gives ",
                          b.backward.ToString()));
      }
      return;
    }
    for (size_t i = 0; i < a.inputs.size(); ++i) {
      if (!a.inputs[i].requires_grad()) continue;
      if (!b.inputs[i].requires_grad()) {
        Fail(absl::StrCat("input ", i, " requires grad on the CPU but not on cuda:0"));
        continue;
      }
      const std::optional<Tensor>& ga = a.inputs[i].meta->grad;
      const std::optional<Tensor>& gb = b.inputs[i].meta->grad;
      if (ga.has_value() != gb.has_value()) {
        Fail(absl::StrCat("gradient of input ", i, ": cpu has ", ga ? "one" : "none", ", cuda:0 ",
                          gb ? "one" : "none"));
        continue;
      }
      if (!ga) continue;
      if (gb->device() != Cuda0()) {
        Fail(absl::StrCat("gradient of input ", i, " is on ", gb->device().ToString()));
        continue;
      }
      const std::string d =
          CompareValues(cpu_.ctx, *ga, *gb, ToleranceFor(ga->dtype(), c.tolerance), Check::kValues);
      if (!d.empty()) {
        Fail(absl::StrCat("gradient of input ", i, " ", ShapeString(c.shapes[i]), ": ", d));
      }
    }
  }

  Side cpu_, gpu_;
  bool cpu_ran_ = false;
  std::string where_;
  std::vector<std::string> failures_;
};

std::vector<std::string> OpNames() {
  std::vector<std::string> names;
  for (const OpDef* op : OpRegistry::Global().List()) names.push_back(op->name);
  return names;
}

// ---- Everywhere: the table covers every op and runs on the CPU ----

TEST(BackendConsistencyCoverage, EveryOpHasACase) {
  std::set<std::string> covered;
  Consistency run;
  const std::vector<ConsistencyCase>& cases = ConsistencyCases();
  for (size_t i = 0; i < cases.size(); ++i) {
    if (covered.contains(cases[i].op)) continue;
    // A derived in-place case counts where the CPU runs it.
    if (!cases[i].derived || run.RunsOnCpu(cases[i], i)) covered.insert(cases[i].op);
  }
  for (const std::string& op : OpNames()) {
    EXPECT_TRUE(covered.contains(op))
        << op << " has no backend-consistency case: give it a gradcheck case "
        << "(tests/autograd/grad_cases.cc) or one in tests/device/cuda/consistency_cases.cc";
  }
}

TEST(BackendConsistencyCoverage, EveryCaseRunsOnTheCpu) {
  Consistency run;
  const std::vector<ConsistencyCase>& cases = ConsistencyCases();
  for (size_t i = 0; i < cases.size(); ++i) {
    if (cases[i].derived) continue;
    for (const std::string& f : run.Compare(cases[i], i, /*cpu_only=*/true)) ADD_FAILURE() << f;
  }
}

// ---- On a GPU host: every op, CPU against cuda:0 ----

class BackendConsistency : public ::testing::TestWithParam<std::string> {};

TEST_P(BackendConsistency, Matches) {
  TENSORD_SKIP_WITHOUT_CUDA();
  Consistency run;
  const std::vector<ConsistencyCase>& cases = ConsistencyCases();
  int ran = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    if (cases[i].op != GetParam()) continue;
    ++ran;
    for (const std::string& f : run.Compare(cases[i], i, /*cpu_only=*/false)) ADD_FAILURE() << f;
  }
  EXPECT_GT(ran, 0) << GetParam() << " has no backend-consistency case";
}

INSTANTIATE_TEST_SUITE_P(AllOps, BackendConsistency, ::testing::ValuesIn(OpNames()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace tensord::autograd::testing
