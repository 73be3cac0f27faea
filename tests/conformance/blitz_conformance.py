#!/usr/bin/env python3
"""Conformance of tensord with PyTorch on the 60 Minute Blitz.

Runs the "Tensors" and "Operations" steps of PyTorch's 60 Minute Blitz both in
PyTorch (in-process) and on a real tensord through tensorctl, and compares for
every step the printed form (exact, for deterministic steps: inputs are made
from literals with the same values on both sides), the dtype and the shape.
Seeded random steps (empty, rand, randn, randn_like) compare shape and dtype,
plus the range of the printed values. Also covers out=, in-place add, basic
indexing, views, item(), sum/mean/matmul, int/float type promotion and a few
printed-form edge cases (scientific notation, 0-dim results, summarization).

Prints "ok STEP" or "MISMATCH STEP: torch=... tensord=..." per step and a
final "N passed, M failed"; exits non-zero on any mismatch.

    blitz_conformance.py TENSORD_BINARY TENSORCTL_BINARY
"""

import ctypes
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import torch


def die_with_parent():
    """In the child: SIGKILL when this script dies, even if it is killed."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
    except Exception:
        pass


class Daemon:
    """tensord on a free loopback port (port 0 + --port_file)."""

    def __init__(self, binary, extra=()):
        self.dir = tempfile.mkdtemp(prefix="tensord-conformance-")
        port_file = os.path.join(self.dir, "port")
        self.log_path = os.path.join(self.dir, "tensord.log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [binary, "--listen", "127.0.0.1:0", "--port_file", port_file, *extra],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent)
        deadline = time.monotonic() + 15
        while True:
            text = ""
            if os.path.exists(port_file):
                with open(port_file) as f:
                    text = f.read()
            if text.endswith("\n") and text.strip().isdigit():
                self.address = "127.0.0.1:" + text.strip()
                return
            if self.proc.poll() is not None or time.monotonic() > deadline:
                why = ("exited with status %s" % self.proc.returncode
                       if self.proc.poll() is not None else "did not write its port file in 15 s")
                log = self.read_log()
                self.stop()
                raise RuntimeError("tensord %s; its log:\n%s" % (why, log))
            time.sleep(0.01)

    def read_log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=8)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class Ctl:
    """Runs tensorctl in one named session."""

    def __init__(self, binary, address, session):
        self.binary = binary
        self.env = dict(os.environ, TENSORD_ADDR=address, TENSORD_SESSION=session)

    def __call__(self, *args):
        """Returns stdout without its last newline; raises CtlError on failure."""
        r = subprocess.run([self.binary, *args], env=self.env, stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise CtlError("tensorctl %s exited %d: %s" % (" ".join(args), r.returncode,
                                                           r.stderr.strip()))
        return r.stdout[:-1] if r.stdout.endswith("\n") else r.stdout

    def metas(self):
        """{name: (size, dtype)} of the session's tensors, as `ls` prints them."""
        out = {}
        for line in self("ls").splitlines():
            name, size, dtype, _device = line.split("\t")
            out[name] = (size, dtype)
        return out


class CtlError(Exception):
    pass


class Mismatch(Exception):
    pass


class DaemonDied(Exception):
    pass


def expect_equal(what, torch_value, tensord_value):
    if torch_value != tensord_value:
        raise Mismatch("%s: torch=%r tensord=%r" % (what, torch_value, tensord_value))


NUMBER = re.compile(r"-?(?:\d+\.?\d*(?:e[+-]\d+)?|inf|nan)")


def printed_numbers(text):
    body = text[len("tensor("):]
    body = body.split(", dtype=")[0]
    return [float(x) for x in NUMBER.findall(body)]


class Conformance:
    def __init__(self, ctl, daemon):
        self.ctl = ctl
        self.daemon = daemon
        self.passed = 0
        self.failed = 0
        self.tmp = 0
        self.pending = {}  # name -> torch tensor whose shape and dtype it must have

    def step(self, name, fn):
        self.pending = {}
        try:
            fn()
            self.check_metas()
        except (Mismatch, CtlError) as e:
            self.failed += 1
            print("MISMATCH %s: %s" % (name, e), flush=True)
            if self.daemon.proc.poll() is not None:
                raise DaemonDied("tensord exited with status %s during %r; the end of its log:\n%s"
                                 % (self.daemon.proc.returncode, name,
                                    self.daemon.read_log()[-3000:]))
        except Exception as e:  # a bug in a step: report it, go on
            self.failed += 1
            print("MISMATCH %s: %s: %s" % (name, type(e).__name__, e), flush=True)
        else:
            self.passed += 1
            print("ok %s" % name, flush=True)

    def fresh(self):
        self.tmp += 1
        return "t%d" % self.tmp

    # -- Comparisons ------------------------------------------------------------

    def same_meta(self, t, name):
        """Shape and dtype of `name` versus t; checked with one `ls` at the end of the
        step, so `name` must not be rebound to another shape or dtype before then."""
        self.pending[name] = t

    def check_metas(self):
        if not self.pending:
            return
        metas = self.ctl.metas()
        for name, t in self.pending.items():
            if name not in metas:
                raise Mismatch("tensor %s is missing from `tensorctl ls`" % name)
            size, dtype = metas[name]
            expect_equal("shape of " + name, str(t.size()), size)
            expect_equal("dtype of " + name, str(t.dtype), dtype)
        self.pending = {}

    def same_tensor(self, t, name, printed=None):
        """Exact printed form, dtype and shape of tensor `name` versus t."""
        if printed is None:
            printed = self.ctl("show", name)
        expect_equal("printed", repr(t), printed)
        self.same_meta(t, name)

    def same_random(self, t, name, low=None, high=None):
        """Shape and dtype; values (as printed) within [low, high)."""
        self.same_meta(t, name)
        printed = self.ctl("show", name)
        values = printed_numbers(printed)
        expect_equal("number of printed values", t.numel(), len(values))
        for v in values:
            if v != v or v in (float("inf"), float("-inf")):
                raise Mismatch("printed value %r is not finite: %r" % (v, printed))
            # Printed with 4 decimals, so a value just under `high` may print as high.
            if (low is not None and v < low) or (high is not None and v > high):
                raise Mismatch("value %r outside [%r, %r): %r" % (v, low, high, printed))

    def exec_same(self, t, *args, unnamed=False):
        """`tensorctl exec ARGS` printed and bound to a fresh name equals t; with
        `unnamed`, also run without -o, which prints the result and binds nothing."""
        name = self.fresh()
        printed = self.ctl("exec", *args, "-o", name, "--show")
        self.same_tensor(t, name, printed)
        if unnamed:
            expect_equal("printed (unnamed)", repr(t), self.ctl("exec", *args))

    def literal(self, name, text, dtype=None):
        """NAME = torch.tensor(TEXT) on both sides; returns the torch tensor."""
        value = eval(text, {"__builtins__": {}}, {"True": True, "False": False})
        t = torch.tensor(value) if dtype is None else torch.tensor(value, dtype=dtype)
        args = ["tensor", name, text, "--show"]
        if dtype is not None:
            args += ["--dtype", str(dtype).replace("torch.", "")]
        self.same_tensor(t, name, self.ctl(*args))
        return t


LIT_X = "[[0.5, -1.25, 2.0], [3.5, 0.0, -0.75], [1.0, 2.5, -3.0], [4.25, -2.0, 0.125], [-1.5, 1.75, 6.0]]"
LIT_Y = "[[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [0.7, 0.8, 0.9], [1.1, 1.2, 1.3], [-0.1, -0.2, -0.3]]"
LIT_W = "[[1.0, -2.0], [0.5, 0.25], [-1.0, 3.0]]"
LIT_I = "[[1, 2, 3], [4, 5, 6]]"
LIT_F = "[[0.5, 0.25, -1.0], [2.0, 1.5, 0.75]]"
LIT_4X4 = "[[1., 2., 3., 4.], [5., 6., 7., 8.], [9., 10., 11., 12.], [13., 14., 15., 16.]]"


def run(c):
    ctl = c.ctl
    env = {}  # torch-side variables shared between steps

    # ---- Tensors --------------------------------------------------------------
    ctl("seed", "0")
    torch.manual_seed(0)

    def empty():
        ctl("create", "e", "empty", "5", "3")
        c.same_meta(torch.empty(5, 3), "e")
    c.step("torch.empty(5, 3)", empty)

    def rand():
        ctl("create", "r", "rand", "5", "3")
        c.same_random(torch.rand(5, 3), "r", 0.0, 1.0)
    c.step("torch.rand(5, 3)", rand)

    def zeros_long():
        t = torch.zeros(5, 3, dtype=torch.long)
        c.same_tensor(t, "z", ctl("create", "z", "zeros", "5", "3", "--dtype", "long", "--show"))
    c.step("torch.zeros(5, 3, dtype=torch.long)", zeros_long)

    c.step("torch.tensor([5.5, 3])", lambda: c.literal("v", "[5.5, 3]"))

    def zeros_double():
        t = torch.zeros(5, 3, dtype=torch.double)
        env["x"] = t
        c.same_tensor(t, "x",
                      ctl("create", "x", "zeros", "5", "3", "--dtype", "double", "--show"))
    c.step("x = torch.zeros(5, 3, dtype=torch.double)", zeros_double)

    def new_ones():
        t = env["x"].new_ones(5, 3, dtype=torch.double)
        env["x"] = t
        c.same_tensor(t, "x", ctl("exec", "new_ones", "x", "size=5,3", "dtype=double", "-o", "x",
                                  "--show"))
        c.same_tensor(t, "x")
    c.step("x = x.new_ones(5, 3, dtype=torch.double)", new_ones)

    def randn_like():
        t = torch.randn_like(env["x"], dtype=torch.float)
        env["x"] = t
        ctl("exec", "randn_like", "x", "dtype=float", "-o", "x")
        c.same_random(t, "x", -10.0, 10.0)
    c.step("x = torch.randn_like(x, dtype=torch.float)", randn_like)

    c.step("x.size()", lambda: expect_equal("printed", str(env["x"].size()), ctl("size", "x")))

    # ---- Operations (deterministic inputs from literals) ------------------------
    def literal_x():
        env["x"] = c.literal("x", LIT_X)
    c.step("x = torch.tensor(LIT_X)", literal_x)

    def literal_y():
        env["y"] = c.literal("y", LIT_Y)
    c.step("y = torch.tensor(LIT_Y)", literal_y)

    def rand_y():
        ctl("create", "ry", "rand", "5", "3")
        c.same_random(torch.rand(5, 3), "ry", 0.0, 1.0)
    c.step("y = torch.rand(5, 3)", rand_y)

    c.step("x + y", lambda: c.exec_same(env["x"] + env["y"], "add", "x", "y", unnamed=True))
    c.step("torch.add(x, y)", lambda: c.exec_same(torch.add(env["x"], env["y"]), "add", "x", "y"))
    c.step("x - y", lambda: c.exec_same(env["x"] - env["y"], "sub", "x", "y"))
    c.step("x * y", lambda: c.exec_same(env["x"] * env["y"], "mul", "x", "y"))
    c.step("x / y", lambda: c.exec_same(env["x"] / env["y"], "div", "x", "y"))
    c.step("torch.add(x, y, alpha=2)",
           lambda: c.exec_same(torch.add(env["x"], env["y"], alpha=2), "add", "x", "y", "alpha=2"))

    def result_empty():
        env["result"] = torch.empty(5, 3)
        ctl("create", "result", "empty", "5", "3")
        c.same_meta(env["result"], "result")
    c.step("result = torch.empty(5, 3)", result_empty)

    def add_out():
        torch.add(env["x"], env["y"], out=env["result"])
        expect_equal("printed", "", ctl("exec", "add", "x", "y", "--out", "result"))
        c.same_tensor(env["result"], "result")
    c.step("torch.add(x, y, out=result)", add_out)

    def add_inplace():
        env["y"].add_(env["x"])
        expect_equal("printed", "", ctl("exec", "add_", "y", "x"))
        c.same_tensor(env["y"], "y")
    c.step("y.add_(x)", add_inplace)

    c.step("x[:, 1]",
           lambda: c.exec_same(env["x"][:, 1], "index", "x", "spec=:, 1", unnamed=True))
    c.step("x[1:4, ::2]", lambda: c.exec_same(env["x"][1:4, ::2], "index", "x", "spec=1:4, ::2"))
    c.step("x[-1]", lambda: c.exec_same(env["x"][-1], "index", "x", "spec=-1"))

    def randn44():
        ctl("create", "xr", "randn", "4", "4")
        c.same_random(torch.randn(4, 4), "xr", -10.0, 10.0)
        ctl("exec", "view", "xr", "size=16", "-o", "yr")
        ctl("exec", "view", "xr", "size=-1,8", "-o", "zr")
    c.step("x = torch.randn(4, 4); y = x.view(16); z = x.view(-1, 8)", randn44)

    def view_sizes():
        x = torch.randn(4, 4)
        y = x.view(16)
        z = x.view(-1, 8)
        expect_equal("printed", " ".join(str(s) for s in (x.size(), y.size(), z.size())),
                     ctl("size", "xr", "yr", "zr"))
        for t, n in ((x, "xr"), (y, "yr"), (z, "zr")):
            c.same_meta(t, n)
    c.step("x.size(), y.size(), z.size()", view_sizes)

    def views_of_literal():
        x = c.literal("q", LIT_4X4)
        c.exec_same(x.view(16), "view", "q", "size=16")
        c.exec_same(x.view(-1, 8), "view", "q", "size=-1,8")
        c.exec_same(x.t(), "t", "q")
        # Writing through a view changes the base.
        ctl("exec", "view", "q", "size=16", "-o", "qv")
        x.view(16).add_(1)
        ctl("exec", "add_", "qv", "other=1")
        c.same_tensor(x, "q")
    c.step("views of a literal 4x4", views_of_literal)

    def randn1():
        ctl("create", "x1", "randn", "1")
        t = torch.randn(1)
        c.same_random(t, "x1", -10.0, 10.0)
        item = ctl("item", "x1")
        shown = printed_numbers(ctl("show", "x1"))[0]
        # repr(float): a Python float literal whose value prints as x does.
        if not re.fullmatch(r"-?\d+\.\d+(e[+-]\d+)?", item):
            raise Mismatch("item: torch=repr(float) tensord=%r" % item)
        expect_equal("item rounded as printed", "%.4f" % shown, "%.4f" % float(item))
    c.step("x = torch.randn(1); x; x.item()", randn1)

    def items():
        for name, lit in (("i1", "[2.5]"), ("i2", "[[7]]"), ("i3", "0.1"), ("i4", "[-3.0]"),
                          ("i5", "[1e-05]"), ("i6", "[True]")):
            t = c.literal(name, lit)
            expect_equal("item of " + lit, repr(t.item()), ctl("item", name))
    c.step("x.item() of literals", items)

    # ---- Reductions, matmul, promotion ----------------------------------------
    def reductions():
        x = env["x"]
        c.exec_same(x.sum(), "sum", "x")
        c.exec_same(x.mean(), "mean", "x")
        c.exec_same(x.sum(0), "sum", "x", "dim=0")
        c.exec_same(x.sum(1, keepdim=True), "sum", "x", "dim=1", "keepdim=true")
        c.exec_same(x.mean(1), "mean", "x", "dim=1")
        name = c.fresh()
        ctl("exec", "sum", "x", "-o", name)
        expect_equal("item of sum", repr(x.sum().item()), ctl("item", name))
    c.step("sum and mean", reductions)

    def int_sum():
        i = c.literal("ints", LIT_I)
        c.exec_same(i.sum(), "sum", "ints")
        c.exec_same(i.sum(0), "sum", "ints", "dim=0")
        name = c.fresh()
        ctl("exec", "sum", "ints", "-o", name)
        expect_equal("item of int sum", repr(i.sum().item()), ctl("item", name))
    c.step("sum of int64 (0-dim int64)", int_sum)

    def matmul():
        w = c.literal("w", LIT_W)
        c.exec_same(torch.matmul(env["x"], w), "matmul", "x", "w")
        vec = c.literal("vec", "[1.0, -1.0, 0.5]")
        c.exec_same(torch.matmul(env["x"], vec), "matmul", "x", "vec")
        c.exec_same(torch.matmul(vec, vec), "matmul", "vec", "vec")
        i = c.literal("im", "[[1, 2], [3, 4]]")
        c.exec_same(torch.matmul(i, i), "matmul", "im", "im")
    c.step("matmul", matmul)

    def promotion():
        i = c.literal("pi", LIT_I)
        f = c.literal("pf", LIT_F)
        c.exec_same(i + f, "add", "pi", "pf")
        c.exec_same(f + i, "add", "pf", "pi")
        c.exec_same(i * f, "mul", "pi", "pf")
        c.exec_same(i / i, "div", "pi", "pi")
        c.exec_same(i + 2, "add", "pi", "other=2")
        c.exec_same(i + 2.5, "add", "pi", "other=2.5")
        d = c.literal("pd", "[[1.5, 2.5, 3.5], [4.5, 5.5, 6.5]]", dtype=torch.float64)
        c.exec_same(i + d, "add", "pi", "pd")
        c.exec_same(f + d, "add", "pf", "pd")
    c.step("int64/float32/float64 promotion", promotion)

    # ---- Printed-form edge cases ------------------------------------------------
    def sci_notation():
        c.literal("s1", "[1e10, 1.5, 3.0]")
        c.literal("s2", "[123456.0, 1.0]")
        c.literal("s3", "[1e-05, 1.0]")
        s = c.literal("s4", "[[1e10, 2.0], [3.0, 4.0]]")
        c.exec_same(s.sum(), "sum", "s4")
    c.step("scientific notation", sci_notation)

    def zero_dim():
        t = c.literal("zd", "[[1.5, 2.0], [3.0, 4.0]]")
        c.exec_same(t.sum(), "sum", "zd")
        c.literal("zd2", "3.25")
        c.literal("zd3", "7")
        expect_equal("size of a 0-dim tensor", str(torch.tensor(7).size()), ctl("size", "zd3"))
    c.step("0-dim tensors", zero_dim)

    def misc_printing():
        c.literal("m1", "[1.0, 2.0, 3.0]")
        c.literal("m2", "[-0.0, 2.0]")
        c.literal("m3", "[True, False]")
        c.literal("m4", "[[-1, 200], [3, -40]]")
        c.literal("m5", "[0.5, 1.25]", dtype=torch.float64)
        c.literal("m6", "[1, 2]", dtype=torch.int32)
        c.literal("m7", "[[]]")
    c.step("integer-valued floats, bools, ints, float64, int32, empty", misc_printing)

    def summarized():
        t = torch.arange(1200)
        ctl("exec", "arange", "end=1200", "-o", "ar")
        c.same_meta(t, "ar")
        t = t.view(30, 40)
        ctl("exec", "view", "ar", "size=30,40", "-o", "ar2")
        c.same_tensor(t, "ar2")
        c.exec_same(t / 7, "div", "ar2", "other=7")
    c.step("summarized print of more than 1000 elements", summarized)

    run_autograd(c)
    ctl("close")


def run_autograd(c):
    """The blitz's Autograd section with literal inputs, then a gradient for
    each of a set of ops, all compared in printed form with PyTorch (values,
    grad_fn names, requires_grad)."""
    ctl = c.ctl

    def blitz():
        x = torch.ones(2, 2, requires_grad=True)
        ctl("create", "ax", "ones", "2", "2")
        ctl("requires-grad", "ax")
        c.same_tensor(x, "ax")
        y = x + 2
        c.exec_same(y, "add", "ax", "other=2")
        ctl("exec", "add", "ax", "other=2", "-o", "ay")
        expect_equal("y.grad_fn", type(y.grad_fn).__name__, ctl("grad-fn", "ay").split()[0][1:])
        z = y * y * 3
        ctl("exec", "mul", "ay", "ay", "-o", "ayy")
        ctl("exec", "mul", "ayy", "other=3", "-o", "az")
        c.same_tensor(z, "az")
        out = z.mean()
        ctl("exec", "mean", "az", "-o", "aout")
        c.same_tensor(out, "aout")
        out.backward()
        ctl("backward", "aout")
        expect_equal("x.grad", repr(x.grad), ctl("grad", "ax"))
    c.step("autograd: out.backward(); x.grad", blitz)

    def vjp():
        x = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
        c.literal("vx", "[1.0, -2.0, 3.0]")
        ctl("requires-grad", "vx")
        y = x * 2
        ctl("exec", "mul", "vx", "other=2", "-o", "vy")
        while y.data.norm() < 1000:
            y = y * 2
            ctl("exec", "mul", "vy", "other=2", "-o", "vy")
        c.same_tensor(y, "vy")
        v = torch.tensor([0.1, 1.0, 0.0001], dtype=torch.float)
        c.literal("vv", "[0.1, 1.0, 0.0001]")
        y.backward(v)
        ctl("backward", "vy", "--gradient", "vv")
        expect_equal("x.grad", repr(x.grad), ctl("grad", "vx"))
        with torch.no_grad():
            p = x ** 2
        ctl("exec", "pow", "vx", "exponent=2", "-o", "vp", "--no-grad")
        described = dict(l.split(": ", 1) for l in ctl("describe", "vp").splitlines())
        expect_equal("requires_grad under no_grad", str(p.requires_grad), described["requires_grad"])
    c.step("autograd: vector-Jacobian product, no_grad", vjp)

    w_lit = "[[1.0, -2.0], [0.5, 0.25], [-1.0, 3.0]]"
    cases = [
        ("exp", lambda x: x.exp(), ["exp", "gx"]),
        ("sigmoid", lambda x: x.sigmoid(), ["sigmoid", "gx"]),
        ("tanh", lambda x: x.tanh(), ["tanh", "gx"]),
        ("relu", lambda x: x.relu(), ["relu", "gx"]),
        ("pow 2", lambda x: x ** 2, ["pow", "gx", "exponent=2"]),
        ("softmax", lambda x: x.softmax(1), ["softmax", "gx", "dim=1"]),
        ("log_softmax", lambda x: x.log_softmax(1), ["log_softmax", "gx", "dim=1"]),
        ("sum dim", lambda x: x.sum(0), ["sum", "gx", "dim=0"]),
        ("mean", lambda x: x.mean(), ["mean", "gx"]),
        ("amax dim", lambda x: x.amax(1), ["amax", "gx", "dim=1"]),
        ("matmul", lambda x: x @ torch.tensor(eval(w_lit)), ["matmul", "gx", "gw"]),
        ("t", lambda x: x.t(), ["t", "gx"]),
        ("view", lambda x: x.view(3, 2), ["view", "gx", "size=3,2"]),
        ("div", lambda x: x / 4, ["div", "gx", "other=4"]),
        ("norm", lambda x: x.norm(), ["norm", "gx"]),
        ("index", lambda x: x[:, 1], ["index", "gx", "spec=:, 1"]),
    ]
    for name, fn, args in cases:
        def one(fn=fn, args=args):
            x = torch.tensor(eval(LIT_F), requires_grad=True)
            c.literal("gx", LIT_F)
            ctl("requires-grad", "gx")
            c.literal("gw", w_lit)
            y = fn(x)
            out = c.fresh()
            printed = ctl("exec", *args, "-o", out, "--show")
            expect_equal("printed", repr(y), printed)
            # L = sum(y * wt) with wt = 0, 1/7, 2/7, ... shaped like y.
            wt = (torch.arange(y.numel(), dtype=torch.float32) / 7).reshape(y.shape)
            ctl("exec", "arange", "end=%d" % y.numel(), "dtype=float32", "-o", "wt0")
            ctl("exec", "div", "wt0", "other=7", "-o", "wt1")
            if y.dim() == 0:
                ctl("exec", "sum", "wt1", "-o", "wt")
            else:
                ctl("exec", "reshape", "wt1", "size=" + ",".join(str(d) for d in y.shape), "-o", "wt")
            (y * wt).sum().backward()
            ctl("exec", "mul", out, "wt", "-o", "yw")
            ctl("exec", "sum", "yw", "-o", "loss")
            ctl("backward", "loss")
            expect_equal("x.grad", repr(x.grad), ctl("grad", "gx"))
        c.step("autograd: grad of " + name, one)



def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    tensord, tensorctl = argv[1], argv[2]
    torch.set_printoptions(profile="default")
    daemon = Daemon(tensord)
    try:
        c = Conformance(Ctl(tensorctl, daemon.address, "conformance-%d" % os.getpid()), daemon)
        try:
            run(c)
        except CtlError as e:
            c.failed += 1
            print("MISMATCH setup: %s" % e)
        except DaemonDied as e:
            c.failed += 1
            print("MISMATCH remaining steps not run: %s" % e)
    finally:
        daemon.stop()
    print("%d passed, %d failed" % (c.passed, c.failed))
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
