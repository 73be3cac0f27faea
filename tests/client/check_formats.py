#!/usr/bin/env python3
"""Cross-checks tensord's .npy and safetensors codecs (driven through
format_tool) against independent implementations:

(a) numpy: arrays of every supported dtype and several layouts are written
    with numpy.save, re-written by format_tool and loaded with numpy.load;
(b) a safetensors reader and writer written here from the format
    specification (struct + json): format_tool's files must pass the reader,
    and format_tool must read the writer's files;
(c) malformed files: format_tool must exit non-zero and say what is wrong.

Usage: check_formats.py PATH/TO/format_tool
"""

import json
import os
import re
import struct
import subprocess
import sys
import tempfile

import numpy as np

TOOL = sys.argv[1] if len(sys.argv) > 1 else None
FAILURES = []
CHECKS = 0


def check(condition, what):
    global CHECKS
    CHECKS += 1
    if not condition:
        FAILURES.append(what)
        print("FAIL:", what)


def unescape(field):
    """Undoes format_tool's escaping of backslashes, tabs and newlines."""
    return re.sub(r"\\(.)", lambda m: {"t": "\t", "n": "\n"}.get(m[1], m[1]), field)


def tool(*args):
    return subprocess.run([TOOL, *args], capture_output=True, encoding="utf-8", errors="replace",
                          timeout=60)


def tool_ok(*args):
    r = tool(*args)
    check(r.returncode == 0, f"format_tool {' '.join(args)} failed: {r.stderr.strip()}")
    return r.returncode == 0


def tool_fails(path, fragments, *args):
    """format_tool ARGS must exit 1 naming `path` and every fragment."""
    r = tool(*args)
    check(r.returncode == 1, f"format_tool {' '.join(args)} exited {r.returncode}, not 1")
    for fragment in [path, *fragments]:
        check(fragment in r.stderr,
              f"format_tool {' '.join(args)}: {fragment!r} missing from {r.stderr.strip()!r}")


# --- sample arrays --------------------------------------------------------

DTYPES = [np.float32, np.float64, np.float16, np.int64, np.int32, np.bool_]
SHAPES = [(), (1,), (5,), (3, 4), (2, 3, 4), (0,), (3, 0), (2, 0, 5), (1, 1, 7, 1)]
SAFETENSORS_CODE = {"float32": "F32", "float64": "F64", "float16": "F16",
                    "int64": "I64", "int32": "I32", "bool": "BOOL"}
ELEMENT_SIZE = {"F32": 4, "F64": 8, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "BOOL": 1}


def sample(dtype, shape, seed):
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return rng.integers(0, 2, size=shape).astype(np.bool_)
    if dtype.kind == "i":
        info = np.iinfo(dtype)
        a = rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)
    else:
        a = (rng.standard_normal(size=shape) * 1000).astype(dtype)
    flat = a.reshape(-1)
    if flat.size >= 3 and dtype.kind == "f":
        flat[0], flat[1], flat[2] = np.inf, -0.0, np.nan
    return a


def little_c_bytes(a):
    """The bytes tensord's RawTensor holds for `a`: C order, little-endian."""
    return np.ascontiguousarray(a.astype(a.dtype.newbyteorder("<"))).tobytes()


def same_array(got, want):
    return (got.shape == want.shape and got.dtype == want.dtype.newbyteorder("<")
            and little_c_bytes(got) == little_c_bytes(want))


def npy_header(path):
    """(major version, header dict, data offset) of a .npy file."""
    with open(path, "rb") as f:
        version = np.lib.format.read_magic(f)
        shape, fortran, dtype = np.lib.format._read_array_header(f, version)
        return version, (shape, fortran, dtype), f.tell()


# --- safetensors from the specification ------------------------------------


def st_pack(header_text, buffer):
    raw = header_text.encode("utf-8") if isinstance(header_text, str) else header_text
    return struct.pack("<Q", len(raw)) + raw + buffer


def st_write(path, tensors, metadata=None, order=None, indent=None):
    """tensors: {name: (code, shape, bytes)}; data in `order` (default: by
    name reversed, unlike format_tool) with the header padded to 8 bytes."""
    header = {}
    if metadata:
        header["__metadata__"] = metadata
    names = order if order is not None else sorted(tensors, reverse=True)
    buffer = b""
    for name in names:
        code, shape, data = tensors[name]
        header[name] = {"dtype": code, "shape": list(shape),
                        "data_offsets": [len(buffer), len(buffer) + len(data)]}
        buffer += data
    text = json.dumps(header, indent=indent, ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(st_pack(text, buffer))


def st_read(path, strict_writer=False):
    """Validates like the reference implementation and returns
    ({name: (code, shape, bytes)}, metadata, names in data order). With
    strict_writer, also checks format_tool's own promises: padding to 8
    bytes and data sorted by name."""
    with open(path, "rb") as f:
        blob = f.read()
    assert len(blob) >= 8, "shorter than 8 bytes"
    (n,) = struct.unpack("<Q", blob[:8])
    assert n <= 100_000_000, "header too large"
    assert 8 + n <= len(blob), "header beyond the file"
    text = blob[8:8 + n].decode("utf-8")
    assert text.startswith("{"), "header does not start with '{'"

    def no_duplicates(pairs):
        keys = [k for k, _ in pairs]
        assert len(keys) == len(set(keys)), f"duplicate keys {keys}"
        return dict(pairs)

    header = json.loads(text, object_pairs_hook=no_duplicates)
    assert isinstance(header, dict)
    metadata = header.pop("__metadata__", None) or {}
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items())
    buffer = blob[8 + n:]
    entries = []
    for name, info in header.items():
        assert name, "empty name"
        assert set(info) == {"dtype", "shape", "data_offsets"}, info
        code, shape, (begin, end) = info["dtype"], info["shape"], info["data_offsets"]
        assert code in ELEMENT_SIZE, code
        assert all(isinstance(d, int) and d >= 0 for d in shape), shape
        assert end - begin == int(np.prod(shape, dtype=np.int64)) * ELEMENT_SIZE[code], info
        entries.append((begin, end, name, code, shape))
    entries.sort()
    position = 0
    for begin, end, name, _, _ in entries:
        assert begin == position, f"{name} begins at {begin}, expected {position}"
        position = end
    assert position == len(buffer), f"data ends at {position}, buffer has {len(buffer)}"
    if strict_writer:
        assert n % 8 == 0, f"header of {n} bytes is not padded to 8"
        names = [e[2] for e in entries]
        assert names == sorted(names, key=lambda s: s.encode("utf-8")), "data not sorted by name"
    tensors = {name: (code, tuple(shape), buffer[begin:end])
               for begin, end, name, code, shape in entries}
    return tensors, metadata, [e[2] for e in entries]


# --- (a) .npy against numpy --------------------------------------------------


def layouts(a):
    yield "c", a
    if a.ndim >= 2:
        yield "fortran", np.asfortranarray(a)
    if a.dtype.itemsize > 1:
        big = a.astype(a.dtype.newbyteorder(">"))
        yield "big", big
        if a.ndim >= 2:
            yield "fortran_big", np.asfortranarray(big)


def check_npy(tmp):
    seed = 0
    for dtype in DTYPES:
        for shape in SHAPES:
            seed += 1
            for layout, a in layouts(sample(dtype, shape, seed)):
                what = f"npy {np.dtype(dtype).name} {shape} {layout}"
                src = os.path.join(tmp, "in.npy")
                out = os.path.join(tmp, "out.npy")
                np.save(src, a)
                if layout.startswith("fortran") and not a.flags.c_contiguous:
                    check(npy_header(src)[1][1], f"{what}: numpy did not write fortran_order")
                if not tool_ok("npy-copy", src, out):
                    continue
                got = np.load(out)
                check(same_array(got, a), f"{what}: numpy.load of the copy differs")
                version, (_, fortran, dt), offset = npy_header(out)
                check(version == (1, 0) and not fortran and offset % 64 == 0,
                      f"{what}: header version {version}, fortran {fortran}, offset {offset}")
                check(dt.byteorder in "<|=", f"{what}: written byte order {dt.byteorder}")
                check(dt.byteorder != "=" or sys.byteorder == "little",
                      f"{what}: written in native order on a big-endian machine")

    # Versions 2.0 and 3.0 as numpy writes them.
    a = sample(np.float32, (4, 3), 99)
    for version in [(2, 0), (3, 0)]:
        src = os.path.join(tmp, "v.npy")
        with open(src, "wb") as f:
            np.lib.format.write_array(f, a, version=version)
        out = os.path.join(tmp, "v_out.npy")
        if tool_ok("npy-copy", src, out):
            check(same_array(np.load(out), a), f"npy version {version}: copy differs")


# --- (b) safetensors against the specification ------------------------------


def check_safetensors(tmp):
    arrays = {}
    seed = 1000
    for dtype in DTYPES:
        for shape in [(2, 3), (), (0, 4)]:
            seed += 1
            arrays[f"{np.dtype(dtype).name}.{len(shape)}d.{seed}"] = sample(dtype, shape, seed)
    arrays["ünïcode/name with spaces"] = sample(np.int32, (3,), 7)
    tensors = {name: (SAFETENSORS_CODE[a.dtype.name], a.shape, little_c_bytes(a))
               for name, a in arrays.items()}
    bf16 = np.array([0x3F80, 0xC000, 0x7FC0], dtype="<u2").tobytes()  # 1, -2, nan
    tensors["bf16"] = ("BF16", (3,), bf16)
    metadata = {"format": "pt", "note": "ünïcode \"quoted\"\nline\tand \\ too"}

    # format_tool reads the specification writer's file...
    spec_file = os.path.join(tmp, "spec.safetensors")
    st_write(spec_file, tensors, metadata, indent=1)
    r = tool("safetensors-list", spec_file)
    check(r.returncode == 0, f"safetensors-list of the spec file failed: {r.stderr.strip()}")
    listed = [[unescape(field) for field in line.split("\t")]
              for line in r.stdout.split("\n") if line] if r.returncode == 0 else []
    data_order = sorted(tensors, reverse=True)
    got_names = [row[0] for row in listed if row[0] != "__metadata__"]
    check(got_names == data_order, f"safetensors-list order {got_names} != {data_order}")
    raw_dtype = {v: k for k, v in SAFETENSORS_CODE.items()} | {"BF16": "bfloat16"}
    for row in listed:
        if row[0] == "__metadata__":
            continue
        code, shape, _ = tensors[row[0]]
        want_shape = ",".join(str(d) for d in shape)
        check(row[1:] == [raw_dtype[code], want_shape], f"safetensors-list row {row}")
    got_metadata = {row[1]: row[2] for row in listed if row[0] == "__metadata__"}
    check(got_metadata == metadata, f"safetensors-list metadata {got_metadata}")
    for name, a in arrays.items():
        out = os.path.join(tmp, "one.npy")
        if tool_ok("safetensors-to-npy", spec_file, name, out):
            check(same_array(np.load(out), a), f"safetensors-to-npy {name!r} differs")
    bf16_npy = os.path.join(tmp, "bf16.npy")
    tool_fails(bf16_npy, ["bfloat16", "float32"], "safetensors-to-npy", spec_file, "bf16",
               bf16_npy)
    check(not os.path.exists(bf16_npy), "a refused bfloat16 left an .npy file")

    # ... and its copy passes the specification reader, data sorted by name.
    copy = os.path.join(tmp, "copy.safetensors")
    if tool_ok("safetensors-copy", spec_file, copy):
        try:
            got, got_metadata, order = st_read(copy, strict_writer=True)
            check(got == tensors, "safetensors-copy changed the tensors")
            check(got_metadata == metadata, f"safetensors-copy metadata {got_metadata}")
            check(order == sorted(tensors, key=lambda s: s.encode("utf-8")), "copy order")
        except AssertionError as e:
            check(False, f"specification reader refused format_tool's copy: {e}")

    # numpy files (any layout) into safetensors.
    args = ["-m", "source", "numpy", "-m", "empty", ""]
    want = {}
    for i, (layout, a) in enumerate(layouts(sample(np.float64, (3, 5), 5))):
        path = os.path.join(tmp, f"layout{i}.npy")
        np.save(path, a)
        args += [f"w_{layout}", path]
        want[f"w_{layout}"] = ("F64", (3, 5), little_c_bytes(a))
    for dtype in DTYPES:
        a = sample(dtype, (2, 2), 11)
        path = os.path.join(tmp, f"{np.dtype(dtype).name}.npy")
        np.save(path, a)
        args += [np.dtype(dtype).name, path]
        want[np.dtype(dtype).name] = (SAFETENSORS_CODE[np.dtype(dtype).name], (2, 2),
                                      little_c_bytes(a))
    packed = os.path.join(tmp, "packed.safetensors")
    if tool_ok("npy-to-safetensors", packed, *args):
        try:
            got, got_metadata, _ = st_read(packed, strict_writer=True)
            check(got == want, "npy-to-safetensors tensors differ")
            check(got_metadata == {"source": "numpy", "empty": ""},
                  f"npy-to-safetensors metadata {got_metadata}")
        except AssertionError as e:
            check(False, f"specification reader refused npy-to-safetensors output: {e}")

    # An empty file and zero-size tensors only.
    empty = os.path.join(tmp, "empty.safetensors")
    if tool_ok("npy-to-safetensors", empty):
        try:
            got, got_metadata, _ = st_read(empty, strict_writer=True)
            check(got == {} and got_metadata == {}, "empty safetensors file not empty")
        except AssertionError as e:
            check(False, f"specification reader refused an empty file: {e}")


# --- (c) malformed files ---------------------------------------------------


def check_malformed(tmp):
    def write(name, data):
        path = os.path.join(tmp, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    out = os.path.join(tmp, "never.npy")
    path = write("zip.npy", b"PK\x03\x04" + b"\0" * 60)
    tool_fails(path, ["not a .npy file"], "npy-copy", path, out)
    np.save(os.path.join(tmp, "full.npy"), np.arange(100, dtype=np.int64))
    with open(os.path.join(tmp, "full.npy"), "rb") as f:
        full = f.read()
    path = write("cut.npy", full[:-100])
    tool_fails(path, ["truncated", "needs 800 bytes"], "npy-copy", path, out)
    path = write("cut_header.npy", full[:40])
    tool_fails(path, ["truncated"], "npy-copy", path, out)
    for name, a, fragment in [("u8.npy", np.arange(3, dtype=np.uint8), "'|u1'"),
                              ("c8.npy", np.zeros(3, dtype=np.complex64), "'<c8'"),
                              ("obj.npy", np.array([{"a": 1}, None], dtype=object), "'|O'"),
                              ("rec.npy", np.zeros(2, dtype=[("x", "<f4"), ("y", "<i4")]),
                               "structured")]:
        path = os.path.join(tmp, name)
        np.save(path, a, allow_pickle=True)
        tool_fails(path, [fragment, "supported"] if fragment != "structured" else [fragment],
                   "npy-copy", path, out)
    check(not os.path.exists(out), "a refused read left an output file")

    out = os.path.join(tmp, "never.safetensors")
    entry = lambda code, shape, b, e: {"dtype": code, "shape": shape, "data_offsets": [b, e]}
    cases = [
        ("huge.safetensors", struct.pack("<Q", 200_000_000) + b"{}", ["200000000"]),
        ("cut.safetensors", st_pack(json.dumps({"t": entry("F32", [4], 0, 16)}), b"\0" * 8),
         ["truncated", "16"]),
        ("overlap.safetensors",
         st_pack(json.dumps({"a": entry("F32", [2], 0, 8), "b": entry("F32", [1], 4, 8)}),
                 b"\0" * 8), ["overlap"]),
        ("gap.safetensors",
         st_pack(json.dumps({"a": entry("F32", [1], 0, 4), "b": entry("F32", [1], 8, 12)}),
                 b"\0" * 12), ["gap"]),
        ("dup.safetensors",
         st_pack('{"t":' + json.dumps(entry("F32", [1], 0, 4)) + ',"t":'
                 + json.dumps(entry("F32", [1], 0, 4)) + "}", b"\0" * 4), ["more than once"]),
        ("u8.safetensors", st_pack(json.dumps({"t": entry("U8", [4], 0, 4)}), b"\0" * 4),
         ["'U8'", "F32, F64, F16, BF16, I64, I32 and BOOL"]),
        ("trailing.safetensors", st_pack(json.dumps({"t": entry("I32", [1], 0, 4)}), b"\0" * 9),
         ["only 4"]),
        ("size.safetensors", st_pack(json.dumps({"t": entry("I64", [1], 0, 4)}), b"\0" * 4),
         ["needs 8 bytes"]),
        ("text.safetensors", b"not a safetensors file at all", ["safetensors"]),
    ]
    for name, data, fragments in cases:
        path = write(name, data)
        tool_fails(path, fragments, "safetensors-copy", path, out)
    check(not os.path.exists(out), "a refused read left an output file")


def main():
    if TOOL is None or not os.access(TOOL, os.X_OK):
        sys.exit(__doc__)
    with tempfile.TemporaryDirectory(prefix="check_formats_") as tmp:
        check_npy(tmp)
        check_safetensors(tmp)
        check_malformed(tmp)
    print(f"{CHECKS - len(FAILURES)} of {CHECKS} checks passed")
    sys.exit(1 if FAILURES else 0)


if __name__ == "__main__":
    main()
