// The daemon's service logic without a transport: sessions, handle scoping,
// client-chosen handles, names, in-place and out= replies, leases, and the
// status codes of bad requests (each leaving the session usable).
#include "server/tensor_service.h"

#include <cstring>
#include <functional>

#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "server/grpc_service.h"

namespace tensord::server {
namespace {

using ::testing::HasSubstr;

class ServiceTest : public ::testing::Test {
 protected:
  ServiceTest() : service_(Options()) {}
  static ServiceOptions Options() {
    ServiceOptions o;
    o.limits.max_tensor_bytes = 1 << 20;
    o.sessions.default_lease = absl::Seconds(30);
    return o;
  }

  std::string Open(const std::string& name = "", const std::string& principal = "alice") {
    v1::OpenSessionRequest req;
    req.set_name(name);
    auto r = service_.OpenSession(principal, req);
    EXPECT_TRUE(r.ok()) << r.status();
    return r->session_id();
  }

  absl::StatusOr<v1::ExecuteResponse> Exec(const std::string& sid, const std::string& op,
                                           std::vector<uint64_t> inputs,
                                           std::map<std::string, v1::AttrValue> attrs = {},
                                           uint64_t out_handle = 0, const std::string& name = "",
                                           uint64_t out = 0) {
    v1::ExecuteRequest req;
    req.set_session_id(sid);
    req.set_op(op);
    for (uint64_t h : inputs) req.add_inputs()->set_handle(h);
    for (auto& [k, v] : attrs) (*req.mutable_attrs())[k] = v;
    if (out_handle != 0 || !name.empty()) {
      v1::OutputSpec* spec = req.add_outputs();
      spec->set_handle(out_handle);
      spec->set_name(name);
    }
    if (out != 0) req.mutable_out()->set_handle(out);
    return service_.Execute("alice", req);
  }

  static v1::AttrValue Ints(std::vector<int64_t> v) {
    v1::AttrValue a;
    for (int64_t x : v) a.mutable_ints()->add_values(x);
    return a;
  }
  static v1::AttrValue Int(int64_t v) {
    v1::AttrValue a;
    a.set_i(v);
    return a;
  }

  uint64_t Ones(const std::string& sid, std::vector<int64_t> shape, uint64_t handle = 0) {
    auto r = Exec(sid, "ones", {}, {{"size", Ints(shape)}}, handle);
    EXPECT_TRUE(r.ok()) << r.status();
    return r->outputs(0).handle();
  }

  std::vector<float> FetchFloats(const std::string& sid, uint64_t h) {
    v1::FetchRequest req;
    req.set_session_id(sid);
    req.mutable_tensor()->set_handle(h);
    auto r = service_.Fetch("alice", req);
    EXPECT_TRUE(r.ok()) << r.status();
    std::vector<float> out(r->raw().size() / sizeof(float));
    std::memcpy(out.data(), r->raw().data(), r->raw().size());
    return out;
  }

  int NumTensors(const std::string& sid) {
    v1::ListTensorsRequest req;
    req.set_session_id(sid);
    auto r = service_.ListTensors("alice", req);
    EXPECT_TRUE(r.ok()) << r.status();
    return r->tensors_size();
  }

  // A valid op still works: the session survived whatever came before.
  void ExpectUsable(const std::string& sid) {
    auto r = Exec(sid, "zeros", {}, {{"size", Ints({2})}});
    EXPECT_TRUE(r.ok()) << r.status();
  }

  TensorService service_;
};

TEST_F(ServiceTest, SessionIdsAreLongAndRandom) {
  const std::string a = Open(), b = Open();
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
}

TEST_F(ServiceTest, NamedSessionIsReattachedBySamePrincipalOnly) {
  const std::string a = Open("work");
  Ones(a, {2}, 7);
  v1::OpenSessionRequest req;
  req.set_name("work");
  auto again = service_.OpenSession("alice", req);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->attached());
  EXPECT_EQ(again->session_id(), a);
  auto other = service_.OpenSession("bob", req);
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->attached());
  EXPECT_NE(other->session_id(), a);
  // bob cannot use alice's session id either.
  v1::ListTensorsRequest list;
  list.set_session_id(a);
  EXPECT_EQ(service_.ListTensors("bob", list).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ServiceTest, HandlesAreScopedToTheirSession) {
  const std::string a = Open(), b = Open();
  const uint64_t h = Ones(a, {2});
  auto r = Exec(b, "neg", {h});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(r.status().message(), HasSubstr("unknown tensor handle"));
  ExpectUsable(b);
  EXPECT_TRUE(Exec(a, "neg", {h}).ok());
}

TEST_F(ServiceTest, ClientChosenHandles) {
  const std::string s = Open();
  EXPECT_EQ(Ones(s, {2}, 42), 42u);
  auto reuse = Exec(s, "ones", {}, {{"size", Ints({2})}}, 42);
  EXPECT_EQ(reuse.status().code(), absl::StatusCode::kAlreadyExists);
  auto reserved = Exec(s, "ones", {}, {{"size", Ints({2})}}, kServerHandleBit | 5);
  EXPECT_EQ(reserved.status().code(), absl::StatusCode::kInvalidArgument);
  const uint64_t assigned = Ones(s, {2});
  EXPECT_NE(assigned & kServerHandleBit, 0u);
  auto chained = Exec(s, "add", {42, assigned});
  ASSERT_TRUE(chained.ok());
  EXPECT_THAT(FetchFloats(s, chained->outputs(0).handle()), ::testing::ElementsAre(2, 2));
}

TEST_F(ServiceTest, NamesRebindLikeAssignment) {
  const std::string s = Open();
  ASSERT_TRUE(Exec(s, "ones", {}, {{"size", Ints({2})}}, 0, "x").ok());
  ASSERT_TRUE(Exec(s, "zeros", {}, {{"size", Ints({3})}}, 0, "x").ok());
  EXPECT_EQ(NumTensors(s), 1);
  v1::DescribeRequest d;
  d.set_session_id(s);
  d.mutable_tensor()->set_name("x");
  auto meta = service_.Describe("alice", d);
  ASSERT_TRUE(meta.ok());
  EXPECT_THAT(meta->meta().shape(), ::testing::ElementsAre(3));
  d.mutable_tensor()->set_name("nope");
  EXPECT_EQ(service_.Describe("alice", d).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ServiceTest, InPlaceAndOutReplyWithTheWrittenHandle) {
  const std::string s = Open();
  const uint64_t y = Ones(s, {2}), x = Ones(s, {2}), out = Ones(s, {2});
  auto inplace = Exec(s, "add_", {y, x});
  ASSERT_TRUE(inplace.ok());
  EXPECT_EQ(inplace->outputs(0).handle(), y);
  EXPECT_THAT(FetchFloats(s, y), ::testing::ElementsAre(2, 2));
  auto with_out = Exec(s, "add", {y, x}, {}, 0, "", out);
  ASSERT_TRUE(with_out.ok());
  EXPECT_EQ(with_out->outputs(0).handle(), out);
  EXPECT_THAT(FetchFloats(s, out), ::testing::ElementsAre(3, 3));
  auto t = Exec(s, "t_", {Ones(s, {1, 3}, 99)});
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->outputs(0).handle(), 99u);
  EXPECT_THAT(t->outputs(0).shape(), ::testing::ElementsAre(3, 1));
}

TEST_F(ServiceTest, BadRequestsGetPreciseCodesAndLeaveTheSessionUsable) {
  const std::string s = Open();
  const uint64_t a = Ones(s, {5, 3}), b = Ones(s, {4, 2});
  struct Case {
    absl::StatusOr<v1::ExecuteResponse> result;
    absl::StatusCode code;
    std::string text;
  };
  std::vector<Case> cases;
  cases.push_back({Exec(s, "frobnicate", {a}), absl::StatusCode::kNotFound, "frobnicate"});
  cases.push_back({Exec(s, "neg", {12345}), absl::StatusCode::kNotFound, "12345"});
  cases.push_back({Exec(s, "add", {a, b}), absl::StatusCode::kInvalidArgument, "[5, 3]"});
  cases.push_back({Exec(s, "add", {a, b}), absl::StatusCode::kInvalidArgument, "[4, 2]"});
  cases.push_back({Exec(s, "view", {a}, {{"size", Ints({4})}}), absl::StatusCode::kInvalidArgument,
                   "invalid for input of size 15"});
  cases.push_back({Exec(s, "matmul", {a, b}), absl::StatusCode::kInvalidArgument, "5x3 and 4x2"});
  cases.push_back({Exec(s, "zeros", {}, {{"size", Ints({-1})}}), absl::StatusCode::kInvalidArgument,
                   "negative"});
  cases.push_back({Exec(s, "zeros", {}, {{"size", Ints({int64_t{1} << 40, int64_t{1} << 40})}}),
                   absl::StatusCode::kInvalidArgument, "overflow"});
  cases.push_back({Exec(s, "zeros", {}, {{"size", Ints({1024, 1024})}}),
                   absl::StatusCode::kResourceExhausted, "limit"});
  v1::AttrValue bad_dtype;
  bad_dtype.set_s("float33");
  cases.push_back({Exec(s, "zeros", {}, {{"size", Ints({1})}, {"dtype", bad_dtype}}),
                   absl::StatusCode::kInvalidArgument, "float33"});
  v1::AttrValue spec;
  spec.set_s(":, x");
  cases.push_back({Exec(s, "index", {a}, {{"spec", spec}}), absl::StatusCode::kInvalidArgument,
                   "malformed index"});
  v1::AttrValue enum_out_of_range;
  enum_out_of_range.set_dtype(static_cast<v1::DType>(77));
  cases.push_back({Exec(s, "zeros", {}, {{"size", Ints({1})}, {"dtype", enum_out_of_range}}),
                   absl::StatusCode::kInvalidArgument, "dtype"});
  for (const Case& c : cases) {
    EXPECT_EQ(c.result.status().code(), c.code) << c.result.status();
    EXPECT_THAT(c.result.status().message(), HasSubstr(c.text));
  }
  ExpectUsable(s);
  EXPECT_EQ(NumTensors(s), 3);  // failed ops bound nothing (a, b, and the usable check)
}

TEST_F(ServiceTest, CreateTensorFromLiteralAndData) {
  const std::string s = Open();
  v1::CreateTensorRequest req;
  req.set_session_id(s);
  req.set_literal("[[1, 2], [3, 4]]");
  auto r = service_.CreateTensor("alice", req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->tensor().dtype(), v1::INT64);
  req.set_literal("[1, [2]]");
  EXPECT_EQ(service_.CreateTensor("alice", req).status().code(),
            absl::StatusCode::kInvalidArgument);
  req.set_literal("[1, 2]");
  req.set_requires_grad(true);
  auto grad_int = service_.CreateTensor("alice", req);
  EXPECT_EQ(grad_int.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(grad_int.status().message(), HasSubstr("floating point"));
  req.set_requires_grad(false);
  v1::TensorData* d = req.mutable_data();
  d->add_shape(3);
  d->set_dtype(v1::FLOAT32);
  d->set_raw(std::string(8, '\0'));  // 2 floats for a shape of 3
  EXPECT_EQ(service_.CreateTensor("alice", req).status().code(),
            absl::StatusCode::kInvalidArgument);
  req.clear_source();
  EXPECT_EQ(service_.CreateTensor("alice", req).status().code(),
            absl::StatusCode::kInvalidArgument);
  ExpectUsable(s);
}

TEST_F(ServiceTest, ReleaseIsAllOrNothing) {
  const std::string s = Open();
  const uint64_t a = Ones(s, {1});
  v1::ReleaseRequest req;
  req.set_session_id(s);
  req.add_tensors()->set_handle(a);
  req.add_tensors()->set_handle(999);
  EXPECT_EQ(service_.Release("alice", req).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(NumTensors(s), 1);
  req.mutable_tensors()->RemoveLast();
  auto ok = service_.Release("alice", req);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->released(), 1);
  EXPECT_EQ(NumTensors(s), 0);
}

TEST_F(ServiceTest, CloseAndLeaseExpiryFreeTheSession) {
  const std::string s = Open();
  Ones(s, {2});
  v1::CloseSessionRequest close;
  close.set_session_id(s);
  auto closed = service_.CloseSession("alice", close);
  ASSERT_TRUE(closed.ok());
  EXPECT_EQ(closed->released_tensors(), 1);
  auto after = Exec(s, "zeros", {}, {{"size", Ints({1})}});
  EXPECT_EQ(after.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(after.status().message(), HasSubstr("open a new session"));

  const std::string t = Open();
  Ones(t, {2});
  EXPECT_EQ(service_.sessions().ReapExpired(absl::Now() + absl::Seconds(5)), 0);
  EXPECT_EQ(service_.sessions().ReapExpired(absl::Now() + absl::Seconds(31)), 1);
  EXPECT_EQ(Exec(t, "zeros", {}, {{"size", Ints({1})}}).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(ServiceTest, SessionMemoryIsAccountedAndReturned) {
  const std::string s = Open();
  auto session = service_.sessions().Get("alice", s);
  ASSERT_TRUE(session.ok());
  const int64_t base = (*session)->memory()->bytes();
  const uint64_t a = Ones(s, {256});  // 1 KiB of float32
  EXPECT_EQ((*session)->memory()->bytes(), base + 1024);
  auto view = Exec(s, "view", {a}, {{"size", Ints({16, 16})}});
  ASSERT_TRUE(view.ok());
  EXPECT_EQ((*session)->memory()->bytes(), base + 1024);  // views share storage
  v1::ReleaseRequest rel;
  rel.set_session_id(s);
  rel.add_tensors()->set_handle(a);
  ASSERT_TRUE(service_.Release("alice", rel).ok());
  EXPECT_EQ((*session)->memory()->bytes(), base + 1024);  // the view keeps it alive
  rel.mutable_tensors(0)->set_handle(view->outputs(0).handle());
  ASSERT_TRUE(service_.Release("alice", rel).ok());
  EXPECT_EQ((*session)->memory()->bytes(), base);
}

TEST_F(ServiceTest, LeaseRequestsAreBounded) {
  v1::OpenSessionRequest req;
  req.set_lease_seconds(-1);
  EXPECT_EQ(service_.OpenSession("alice", req).status().code(), absl::StatusCode::kInvalidArgument);
  req.set_lease_seconds(10 * 86400);
  EXPECT_EQ(service_.OpenSession("alice", req).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ServiceTest, ListOpsDescribesSchemas) {
  auto r = service_.ListOps(v1::ListOpsRequest());
  ASSERT_TRUE(r.ok());
  const v1::OpSchema* add = nullptr;
  for (const auto& op : r->ops()) {
    if (op.name() == "add") add = &op;
  }
  ASSERT_NE(add, nullptr);
  EXPECT_EQ(add->inplace_variant(), "add_");
  EXPECT_TRUE(add->supports_out());
  bool has_alpha = false;
  for (const auto& a : add->attrs()) has_alpha |= a.name() == "alpha" && a.default_value() == "1";
  EXPECT_TRUE(has_alpha);
}

absl::StatusOr<v1::AutogradResponse> AutogradCall(
    TensorService& service, const std::string& sid, uint64_t h,
    const std::function<void(v1::AutogradRequest&)>& set) {
  v1::AutogradRequest req;
  req.set_session_id(sid);
  req.mutable_tensor()->set_handle(h);
  set(req);
  return service.Autograd("alice", req);
}

TEST_F(ServiceTest, BlitzAutogradThroughTheService) {
  // x = torch.ones(2, 2, requires_grad=True); y = x + 2; z = y * y * 3;
  // out = z.mean(); out.backward(); x.grad is 4.5 everywhere.
  const std::string s = Open();
  const uint64_t x = Ones(s, {2, 2}, 1);
  auto rg = AutogradCall(service_, s, x, [](auto& r) { r.set_set_requires_grad(true); });
  ASSERT_TRUE(rg.ok()) << rg.status();
  EXPECT_TRUE(rg->tensor().requires_grad());
  EXPECT_TRUE(rg->tensor().is_leaf());
  v1::AttrValue two, three;
  two.set_i(2);
  three.set_i(3);
  auto y = Exec(s, "add", {x}, {{"other", two}}, 2);
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(y->outputs(0).grad_fn(), "AddBackward0");
  EXPECT_FALSE(y->outputs(0).is_leaf());
  auto yy = Exec(s, "mul", {2, 2}, {}, 3);
  auto z = Exec(s, "mul", {3}, {{"other", three}}, 4);
  ASSERT_TRUE(z.ok()) << z.status();
  EXPECT_EQ(z->outputs(0).grad_fn(), "MulBackward0");
  auto out = Exec(s, "mean", {4}, {}, 5);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->outputs(0).grad_fn(), "MeanBackward0");
  v1::BackwardRequest b;
  b.set_session_id(s);
  b.mutable_tensor()->set_handle(5);
  ASSERT_TRUE(service_.Backward("alice", b).ok());
  auto g = AutogradCall(service_, s, x, [](auto& r) { r.mutable_get_grad()->set_handle(6); });
  ASSERT_TRUE(g.ok()) << g.status();
  ASSERT_TRUE(g->grad_defined());
  EXPECT_EQ(FetchFloats(s, 6), (std::vector<float>{4.5, 4.5, 4.5, 4.5}));
  // grad.zero_() through the bound handle changes x.grad itself.
  ASSERT_TRUE(Exec(s, "zero_", {6}).ok());
  auto g2 = AutogradCall(service_, s, x, [](auto& r) { r.mutable_get_grad()->set_handle(7); });
  ASSERT_TRUE(g2.ok());
  EXPECT_EQ(FetchFloats(s, 7), (std::vector<float>{0, 0, 0, 0}));
  // x.grad = None.
  ASSERT_TRUE(AutogradCall(service_, s, x, [](auto& r) { r.set_clear_grad(true); }).ok());
  auto none = AutogradCall(service_, s, x, [](auto& r) { r.mutable_get_grad()->set_handle(8); });
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->grad_defined());
  // A second backward through the freed graph fails; the session lives on.
  auto again = service_.Backward("alice", b);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(again.status().message()), HasSubstr("a second time"));
  ExpectUsable(s);
}

TEST_F(ServiceTest, ManyGradBindingsKeepReportingTheRightTensor) {
  // Each get_grad binds a new handle; growing the handle table must not
  // disturb the reply about the tensor itself.
  const std::string s = Open();
  const uint64_t x = Ones(s, {2}, 1);
  ASSERT_TRUE(AutogradCall(service_, s, x, [](auto& r) { r.set_set_requires_grad(true); }).ok());
  auto y = Exec(s, "sum", {x}, {}, 2);
  v1::BackwardRequest b;
  b.set_session_id(s);
  b.mutable_tensor()->set_handle(2);
  ASSERT_TRUE(service_.Backward("alice", b).ok());
  for (int i = 0; i < 300; ++i) {
    auto g = AutogradCall(service_, s, x, [](auto& r) { r.mutable_get_grad(); });
    ASSERT_TRUE(g.ok()) << g.status();
    ASSERT_EQ(g->tensor().handle(), x);
    ASSERT_TRUE(g->tensor().requires_grad());
    ASSERT_TRUE(g->grad_defined());
  }
  EXPECT_EQ(NumTensors(s), 302);
}

TEST_F(ServiceTest, TrainingLoopLeavesSessionMemoryAtItsBaseline) {
  // A linear layer trained as a client would drive it: forward, backward,
  // an update under no_grad, grad = None, and the step's handles released.
  const std::string s = Open();
  const uint64_t x = Ones(s, {16, 8}, 1), w = Ones(s, {8, 4}, 2);
  ASSERT_TRUE(AutogradCall(service_, s, w, [](auto& r) { r.set_set_requires_grad(true); }).ok());
  auto step = [&] {
    ASSERT_TRUE(Exec(s, "mm", {x, w}, {}, 10).ok());
    ASSERT_TRUE(Exec(s, "relu", {10}, {}, 11).ok());
    ASSERT_TRUE(Exec(s, "mean", {11}, {}, 12).ok());
    v1::BackwardRequest b;
    b.set_session_id(s);
    b.mutable_tensor()->set_handle(12);
    ASSERT_TRUE(service_.Backward("alice", b).ok());
    ASSERT_TRUE(AutogradCall(service_, s, w, [](auto& r) { r.mutable_get_grad()->set_handle(13); })
                    .ok());
    v1::ExecuteRequest update;
    update.set_session_id(s);
    update.set_op("sub_");
    update.add_inputs()->set_handle(w);
    update.add_inputs()->set_handle(13);
    (*update.mutable_attrs())["alpha"].set_f(0.01);
    update.set_no_grad(true);
    ASSERT_TRUE(service_.Execute("alice", update).ok());
    ASSERT_TRUE(AutogradCall(service_, s, w, [](auto& r) { r.set_clear_grad(true); }).ok());
    v1::ReleaseRequest rel;
    rel.set_session_id(s);
    for (uint64_t h : {10, 11, 12, 13}) rel.add_tensors()->set_handle(h);
    ASSERT_TRUE(service_.Release("alice", rel).ok());
  };
  step();
  auto baseline = service_.SessionBytes("alice", s);
  ASSERT_TRUE(baseline.ok());
  for (int i = 0; i < 1000; ++i) step();
  EXPECT_EQ(*service_.SessionBytes("alice", s), *baseline);
  EXPECT_EQ(NumTensors(s), 2);
}

TEST_F(ServiceTest, NoGradScopesAndDetach) {
  const std::string s = Open();
  const uint64_t x = Ones(s, {3}, 1);
  ASSERT_TRUE(AutogradCall(service_, s, x, [](auto& r) { r.set_set_requires_grad(true); }).ok());
  // Per request.
  v1::ExecuteRequest req;
  req.set_session_id(s);
  req.set_op("mul");
  req.add_inputs()->set_handle(x);
  req.add_inputs()->set_handle(x);
  req.set_no_grad(true);
  auto r = service_.Execute("alice", req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->outputs(0).requires_grad());
  // Session scope: `with torch.no_grad(): print((x ** 2).requires_grad)` is False.
  v1::SetGradModeRequest off;
  off.set_session_id(s);
  off.set_enabled(false);
  auto prev = service_.SetGradMode("alice", off);
  ASSERT_TRUE(prev.ok());
  EXPECT_TRUE(prev->previous());
  v1::AttrValue two;
  two.set_f(2);
  auto p = Exec(s, "pow", {x}, {{"exponent", two}});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_FALSE(p->outputs(0).requires_grad());
  v1::SetGradModeRequest on = off;
  on.set_enabled(true);
  ASSERT_TRUE(service_.SetGradMode("alice", on).ok());
  auto q = Exec(s, "pow", {x}, {{"exponent", two}});
  EXPECT_TRUE(q->outputs(0).requires_grad());
  EXPECT_EQ(q->outputs(0).grad_fn(), "PowBackward0");
  // detach: y = x.detach(); y.requires_grad is False.
  auto d = Exec(s, "detach", {x});
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_FALSE(d->outputs(0).requires_grad());
}

TEST_F(ServiceTest, AutogradBadInputLeavesTheSessionUsable) {
  const std::string s = Open();
  const uint64_t i = Ones(s, {2}, 1);
  auto cast = Exec(s, "to", {i},
                   {{"dtype",
                     [] {
                       v1::AttrValue a;
                       a.set_dtype(v1::INT64);
                       return a;
                     }()}},
                   2);
  ASSERT_TRUE(cast.ok()) << cast.status();
  // requires_grad on an integer tensor.
  auto bad = AutogradCall(service_, s, 2, [](auto& r) { r.set_set_requires_grad(true); });
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("floating point"));
  // Backward from a tensor that does not require grad.
  v1::BackwardRequest b;
  b.set_session_id(s);
  b.mutable_tensor()->set_handle(i);
  auto nb = service_.Backward("alice", b);
  EXPECT_EQ(nb.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(nb.status().message()), HasSubstr("does not require grad"));
  // A gradient of the wrong shape.
  ASSERT_TRUE(AutogradCall(service_, s, i, [](auto& r) { r.set_set_requires_grad(true); }).ok());
  auto y = Exec(s, "mul", {i, i}, {}, 3);
  ASSERT_TRUE(y.ok());
  Ones(s, {5}, 4);
  b.mutable_tensor()->set_handle(3);
  b.mutable_gradient()->set_handle(4);
  auto shape = service_.Backward("alice", b);
  EXPECT_EQ(shape.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(shape.status().message()), HasSubstr("Mismatch in shape"));
  // Unknown handles, and a request with no action.
  b.mutable_gradient()->set_handle(999);
  EXPECT_EQ(service_.Backward("alice", b).status().code(), absl::StatusCode::kNotFound);
  auto none = AutogradCall(service_, s, i, [](auto&) {});
  EXPECT_EQ(none.status().code(), absl::StatusCode::kInvalidArgument);
  // A leaf that requires grad refuses in-place writes.
  auto inplace = Exec(s, "mul_", {i, i});
  EXPECT_EQ(inplace.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(inplace.status().message()), HasSubstr("leaf Variable"));
  ExpectUsable(s);
}

TEST(GrpcStatus, CodesMapOneToOne) {
  for (int code = 0; code <= 16; ++code) {
    absl::Status s(static_cast<absl::StatusCode>(code), code == 0 ? "" : "why");
    grpc::Status g = ToGrpcStatus(s);
    EXPECT_EQ(static_cast<int>(g.error_code()), code);
    if (code != 0) {
      EXPECT_EQ(g.error_message(), "why");
    }
  }
}

}  // namespace
}  // namespace tensord::server
