// The head atlas's cache file: writing, and reading back defensively (see atlas_cache.hpp).
#include "core/trace/atlas_cache.hpp"

#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "core/base/mmap.hpp"
#include "core/base/replace_file.hpp"

namespace ts::core {
namespace {

constexpr const char* kMagic     = "tokenscope head atlas 1";
constexpr size_t kMaxCacheBytes  = size_t(16) << 20;  // 16 MiB: a 100-layer × 100-head model's file is ~1 MiB
constexpr int kMaxCachedSinkCols = 1 << 16;

uint64_t fnv1a(const void* data, size_t n, uint64_t h = 0xcbf29ce484222325ull) {
    const auto* p = static_cast<const uint8_t*>(data);
    for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

// A line-by-line reader of whitespace-separated numbers; any failure sets ok = false and stays failed.
class Reader {
public:
    explicit Reader(std::string_view text) : rest_(text) {}
    bool ok = true;

    // The next line, without its newline.
    std::string_view line() {
        if (rest_.empty()) {
            ok = false;
            return {};
        }
        const size_t nl    = rest_.find('\n');
        std::string_view l = rest_.substr(0, nl);
        rest_              = nl == std::string_view::npos ? std::string_view{} : rest_.substr(nl + 1);
        cur_               = std::string(l);
        at_                = 0;
        return l;
    }
    // The next word of the current line.
    std::string_view word() {
        while (at_ < cur_.size() && cur_[at_] == ' ') ++at_;
        const size_t b = at_;
        while (at_ < cur_.size() && cur_[at_] != ' ') ++at_;
        if (b == at_) ok = false;
        return std::string_view(cur_).substr(b, at_ - b);
    }
    long long integer(long long lo, long long hi) {
        const std::string w(word());
        if (!ok) return lo;
        errno       = 0;
        char* end   = nullptr;
        long long v = std::strtoll(w.c_str(), &end, 10);
        if (errno != 0 || end != w.c_str() + w.size() || v < lo || v > hi) ok = false;
        return ok ? v : lo;
    }
    float number() {
        const std::string w(word());
        if (!ok) return 0.0f;
        char* end     = nullptr;
        const float v = std::strtof(w.c_str(), &end);
        if (end != w.c_str() + w.size() || !std::isfinite(v)) ok = false;
        return ok ? v : 0.0f;
    }
    bool line_done() {
        while (at_ < cur_.size() && cur_[at_] == ' ') ++at_;
        return at_ == cur_.size();
    }

private:
    std::string_view rest_;
    std::string cur_;
    size_t at_ = 0;
};

void append_number(std::string& out, double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, " %.9g", v);
    out += buf;
}

}  // namespace

std::string atlas_cache_key(const Model& model, const AtlasOptions& opt) {
    FileStamp st;
    uint64_t content = 0;
    if (model.map) {
        st = model.map->stamp();
        if (st == FileStamp{}) content = fnv1a(model.map->data(), model.map->size());  // built in: no stamp
    } else if (auto s = stamp_file(model.path)) {
        st = *s;
    }
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  "|size=%" PRIu64 "|mtime_ns=%" PRId64 "|ino=%" PRIu64 "|bytes=%016" PRIx64
                  "|half=%d|seed=%u|layers=%d|heads=%d|vocab=%d",
                  st.size, st.mtime_ns, st.ino, content, opt.half, unsigned(opt.seed), model.hp.n_layer,
                  model.hp.n_head, model.hp.n_vocab);
    std::string key = "path=";
    for (char c : model.path) key += (c == '\n' || c == '\r') ? '?' : c;
    return key + buf;
}

std::string atlas_cache_path(const std::string& dir, const std::string& key) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "atlas-%016" PRIx64 ".txt", fnv1a(key.data(), key.size()));
    return dir + "/" + buf;
}

Status save_atlas(const std::string& path, const std::string& key, const HeadAtlas& atlas) {
    std::string out = std::string(kMagic) + "\nkey " + key + "\n";
    char buf[128];
    std::snprintf(buf, sizeof buf, "shape %d %d %d %d %zu\nprobe", atlas.n_layer, atlas.n_head, atlas.first_copy,
                  atlas.half, atlas.probe.size());
    out += buf;
    auto append_int = [&out](long long v) {
        out += ' ';
        out += std::to_string(v);
    };
    for (int32_t id : atlas.probe) append_int(id);
    out += "\n";
    for (const HeadScores& s : atlas.heads) {
        out += "head";
        append_int(s.layer);
        append_int(s.head);
        for (float v :
             {s.prev_token, s.first_token, s.self, s.duplicate, s.induction, s.entropy_bits, s.window, s.sink})
            append_number(out, double(v));
        append_int((long long)s.sink_cols.size());
        for (int c : s.sink_cols) append_int(c);
        out += "\n";
    }
    return replace_file(path, out.data(), out.size());
}

Result<HeadAtlas> load_atlas(const std::string& path, const std::string& key, const Hparams& hp) {
    auto text = read_file(path, kMaxCacheBytes);
    if (!text) return text.error();
    auto bad = [&](const char* what) {
        return make_error(Code::kInvalidArgument, "%s: not a head atlas of this model (%s)", path.c_str(), what);
    };
    Reader r(*text);
    if (r.line() != kMagic || !r.ok) return bad("no header");
    if (r.line() != "key " + key || !r.ok) return bad("another model file or probe");
    HeadAtlas a;
    r.line();
    if (r.word() != "shape") return bad("no shape");
    a.n_layer         = int(r.integer(0, 1 << 20));
    a.n_head          = int(r.integer(0, 1 << 20));
    a.first_copy      = int(r.integer(0, 1));
    a.half            = int(r.integer(2, 1 << 20));
    const int n_probe = int(r.integer(0, 1 << 22));
    if (!r.ok || !r.line_done()) return bad("a malformed shape line");
    if (a.n_layer != hp.n_layer || a.n_head != hp.n_head) return bad("another shape");
    if (n_probe != a.first_copy + 2 * a.half) return bad("a probe of the wrong length");
    r.line();
    if (r.word() != "probe") return bad("no probe");
    for (int i = 0; i < n_probe && r.ok; ++i) a.probe.push_back(int32_t(r.integer(0, hp.n_vocab - 1)));
    if (!r.ok || !r.line_done()) return bad("a malformed probe");
    a.heads.reserve(size_t(a.n_layer) * size_t(a.n_head));
    for (int l = 0; l < a.n_layer; ++l)
        for (int h = 0; h < a.n_head; ++h) {
            r.line();
            if (r.word() != "head") return bad("a missing head line");
            HeadScores s;
            s.layer = int(r.integer(l, l));
            s.head  = int(r.integer(h, h));
            for (float* v : {&s.prev_token, &s.first_token, &s.self, &s.duplicate, &s.induction, &s.entropy_bits,
                             &s.window, &s.sink})
                *v = r.number();
            const int n_sinks = int(r.integer(0, std::min(n_probe, kMaxCachedSinkCols)));
            for (int k = 0; k < n_sinks && r.ok; ++k) s.sink_cols.push_back(int(r.integer(0, n_probe - 1)));
            if (!r.ok || !r.line_done()) return bad("a malformed head line");
            s.tag = atlas_tag(s);
            a.heads.push_back(std::move(s));
        }
    mark_linear_layers(a, hp);
    return a;
}

}  // namespace ts::core
