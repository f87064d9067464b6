// libFuzzer target for the GGUF reader: any bytes must give a GgufFile or an Error, never a crash, a hang, an
// out-of-bounds read or a huge allocation. On success it touches every metadata value and every tensor byte (so
// ASan checks the views), runs the typed getters, and writes the file again with GgufWriter, which must parse back
// to the same metadata and tensor bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "core/base/check.hpp"
#include "core/gguf/gguf_reader.hpp"
#include "core/gguf/gguf_writer.hpp"

namespace {

using ts::core::gguf::GgufFile;
using ts::core::gguf::GgufWriter;
using ts::core::gguf::Value;
using ts::core::gguf::ValueType;

uint64_t touch(const Value& v) {
    uint64_t h = uint64_t(v.type) + v.u + uint64_t(v.i) + (v.b ? 1 : 0);
    double d   = 0;
    if (v.as_f64(d)) h += d != d ? 1 : 0;
    for (unsigned char ch : v.s) h = h * 31 + ch;
    for (const Value& e : v.arr) {
        TS_CHECK(e.type == v.elem_type, "array elements have the array's element type");
        h += touch(e);
    }
    return h;
}

bool same_value(const Value& a, const Value& b) {
    if (a.type != b.type || a.s != b.s || a.elem_type != b.elem_type || a.arr.size() != b.arr.size()) return false;
    if (a.u != b.u || a.i != b.i || a.b != b.b || std::memcmp(&a.f, &b.f, sizeof(double)) != 0) return false;
    for (size_t k = 0; k < a.arr.size(); ++k)
        if (!same_value(a.arr[k], b.arr[k])) return false;
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto f = GgufFile::parse(data, size, "fuzz.gguf");
    if (!f.ok()) {
        TS_CHECK(!f.error().message.empty(), "every error has a message");
        return 0;
    }
    volatile uint64_t sink = 0;
    for (const auto& kv : f->metadata()) {
        sink = sink + touch(kv.value);
        (void)f->get_u64(kv.key);
        (void)f->get_i64(kv.key);
        (void)f->get_f64(kv.key);
        (void)f->get_bool(kv.key);
        (void)f->get_string(kv.key);
        TS_CHECK(f->find(kv.key) == &kv.value, "keys are unique");
    }
    for (const auto& t : f->tensors()) {
        TS_CHECK(t.n_dims >= 1 && t.n_dims <= 4 && t.nbytes > 0, "tensor shape validated");
        TS_CHECK(t.n_rows() > 0 && t.nbytes == t.row_size() * size_t(t.n_rows()), "tensor size matches its shape");
        const auto* p = static_cast<const uint8_t*>(t.data);
        TS_CHECK(p >= data && p + t.nbytes <= data + size, "tensor data inside the input");
        uint64_t h = 0;
        for (size_t k = 0; k < t.nbytes; ++k) h += p[k];
        sink = sink + h;
        TS_CHECK(f->find_tensor(t.name) == &t, "tensor names are unique");
    }

    // Write it again and read it back: the writer must accept whatever the reader accepted.
    GgufWriter w(f->alignment());
    for (const auto& kv : f->metadata()) w.add(kv.key, kv.value);
    for (const auto& t : f->tensors()) {
        const auto* p = static_cast<const uint8_t*>(t.data);
        w.add_tensor(t.name, t.type, std::vector<int64_t>(t.ne.begin(), t.ne.begin() + t.n_dims),
                     std::vector<uint8_t>(p, p + t.nbytes));
    }
    const std::vector<uint8_t> bytes = w.to_bytes();
    auto g                           = GgufFile::parse(bytes.data(), bytes.size(), "rewritten.gguf");
    if (!g.ok()) {
        std::fprintf(stderr, "%s\n", g.error().message.c_str());
        TS_CHECK(false, "a rewritten file parses");
    }
    TS_CHECK(g->metadata().size() == f->metadata().size(), "rewrite keeps the metadata");
    for (size_t k = 0; k < f->metadata().size(); ++k) {
        TS_CHECK(g->metadata()[k].key == f->metadata()[k].key, "rewrite keeps keys in order");
        TS_CHECK(same_value(g->metadata()[k].value, f->metadata()[k].value), "rewrite keeps values");
    }
    TS_CHECK(g->tensors().size() == f->tensors().size(), "rewrite keeps the tensors");
    for (size_t k = 0; k < f->tensors().size(); ++k) {
        const auto& a = f->tensors()[k];
        const auto& b = g->tensors()[k];
        TS_CHECK(a.name == b.name && a.type == b.type && a.ne == b.ne && a.nbytes == b.nbytes, "tensor info kept");
        TS_CHECK(std::memcmp(a.data, b.data, a.nbytes) == 0, "tensor bytes kept");
    }
    return 0;
}
