// write_trace(): the JSON document and its .npy arrays (format: core/trace/README.md).
#include "core/trace/trace_json.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>

#include "core/base/json.hpp"
#include "core/trace/derive.hpp"
#include "core/trace/npy.hpp"

namespace ts::core {
namespace {

constexpr int kFormatVersion = 1;

// A JSON text built in memory and flushed to the file in large pieces.
class JsonOut {
public:
    explicit JsonOut(std::FILE* f) : f_(f) {}
    JsonOut& raw(const char* s) {
        buf_ += s;
        return maybe_flush();
    }
    JsonOut& raw(const std::string& s) {
        buf_ += s;
        return maybe_flush();
    }
    JsonOut& key(const char* k) {
        buf_ += '"';
        buf_ += k;
        buf_ += "\":";
        return *this;
    }
    // A float in the fewest digits (up to 9) that read back as the same float; `digits` caps it lower.
    JsonOut& num(double v, int digits = 9) {
        if (!std::isfinite(v)) return raw("null");  // JSON has no NaN / inf
        const auto f = float(v);
        char b[40];
        for (int d = std::min(6, digits); d <= digits; ++d) {
            std::snprintf(b, sizeof b, "%.*g", d, double(f));
            if (std::strtof(b, nullptr) == f) break;
        }
        return raw(b);
    }
    JsonOut& integer(long long v) { return raw(std::to_string(v)); }
    JsonOut& boolean(bool v) { return raw(v ? "true" : "false"); }
    // A JSON string of arbitrary bytes: valid UTF-8 passes, every invalid byte becomes U+FFFD.
    JsonOut& str(std::string_view s) {
        append_json_string(buf_, s);
        return maybe_flush();
    }
    bool finish() {
        const bool ok = std::fwrite(buf_.data(), 1, buf_.size(), f_) == buf_.size() && ok_;
        buf_.clear();
        return ok;
    }

private:
    JsonOut& maybe_flush() {
        if (buf_.size() >= (size_t(1) << 20)) {
            ok_ = std::fwrite(buf_.data(), 1, buf_.size(), f_) == buf_.size() && ok_;
            buf_.clear();
        }
        return *this;
    }
    std::FILE* f_;
    std::string buf_;
    bool ok_ = true;
};

std::string base_name(const std::string& path) {
    const size_t slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

void write_settings(JsonOut& j, const sample::SamplerSettings& s) {
    j.raw("{").key("temp").num(s.temp).raw(",").key("top_k").integer(s.top_k).raw(",").key("top_p").num(s.top_p);
    j.raw(",").key("min_p").num(s.min_p).raw(",").key("repeat_penalty").num(s.repeat_penalty);
    j.raw(",").key("repeat_last_n").integer(s.repeat_last_n).raw(",").key("seed").raw(std::to_string(s.seed)).raw("}");
}

void write_int_array(JsonOut& j, const std::vector<int64_t>& v) {
    j.raw("[");
    for (size_t i = 0; i < v.size(); ++i) j.raw(i ? "," : "").integer(v[i]);
    j.raw("]");
}

void write_step(JsonOut& j, const StepTrace& st, std::set<int32_t>& ids) {
    ids.insert(st.token);
    j.raw("{").key("step").integer(st.step).raw(",").key("pos").integer(st.pos).raw(",").key("token").integer(st.token);
    j.raw(",").key("source").str(kTokenSourceNames[size_t(st.source)]).raw(",").key("branch").integer(st.branch_id);
    j.raw(",").key("p_token").num(st.p_token).raw(",").key("recorded").boolean(st.record != nullptr);
    j.raw(",").key("resid_norm_attn").raw("[");
    for (size_t l = 0; l < st.layers.size(); ++l) j.raw(l ? "," : "").num(st.layers[l].resid_norm_attn, 7);
    j.raw("],").key("resid_norm_ffn").raw("[");
    for (size_t l = 0; l < st.layers.size(); ++l) j.raw(l ? "," : "").num(st.layers[l].resid_norm_ffn, 7);
    j.raw("],").key("kv").raw("{").key("n_pos").integer(st.kv.n_pos).raw(",").key("n_ctx").integer(st.kv.n_ctx);
    j.raw(",").key("bytes").integer((long long)st.kv.bytes_total);
    j.raw(",").key("bytes_per_layer").integer((long long)st.kv.bytes_per_layer);
    j.raw(",").key("bytes_capacity").integer((long long)st.kv.bytes_capacity).raw("}");
    j.raw(",")
        .key("t_ms")
        .raw("{")
        .key("forward")
        .num(st.t.forward_ms, 6)
        .raw(",")
        .key("sample")
        .num(st.t.sample_ms, 6);
    j.raw(",").key("trace").num(st.t.trace_ms, 6).raw(",").key("batch").integer(st.t.batch).raw("}");
    if (!st.has_next) {
        j.raw(",").key("next").raw("null}");
        return;
    }
    ids.insert(st.next_token);
    const sample::SamplerView& v = st.sampler;
    j.raw(",").key("next").raw("{").key("token").integer(st.next_token).raw(",").key("p").num(st.next_p);
    j.raw(",").key("greedy").boolean(v.greedy).raw(",").key("draw_u").num(v.draw_u).raw(",").key("settings");
    write_settings(j, st.settings);
    j.raw(",").key("stages").raw("[");
    for (size_t s = 0; s < v.stages.size(); ++s) {
        const sample::StageView& sv = v.stages[s];
        j.raw(s ? "," : "").raw("{").key("kind").str(sample::kStageNames[size_t(sv.kind)]);
        j.raw(",").key("enabled").boolean(sv.enabled).raw(",").key("entropy").num(sv.entropy);
        j.raw(",").key("n_kept").integer(sv.n_kept).raw(",").key("mass_kept").num(sv.mass_kept);
        j.raw(",").key("mass_removed").num(1.0 - double(sv.mass_kept)).raw(",").key("top").raw("[");
        for (size_t k = 0; k < sv.top.size(); ++k) {
            ids.insert(sv.top[k].id);
            j.raw(k ? ",[" : "[")
                .integer(sv.top[k].id)
                .raw(",")
                .num(sv.top[k].logit)
                .raw(",")
                .num(sv.top[k].p)
                .raw("]");
        }
        j.raw("]}");
    }
    j.raw("]}}");
}

// STEM.q.npy and STEM.resid.npy: the recorded positions in order. Returns the positions written.
Result<std::vector<int64_t>> write_records(const std::string& path, const TraceSource& src) {
    const Hparams& hp = src.model.hp;
    std::vector<const PositionRecord*> recs;
    std::vector<int64_t> positions;
    for (const auto& st : src.steps)
        if (st && st->record) {
            recs.push_back(st->record.get());
            positions.push_back(st->pos);
        }
    const auto R = int64_t(recs.size());
    NpyWriter q, resid;
    TS_TRY(q.open(trace_array_path(path, ".q.npy"), {R, hp.n_layer, hp.n_head, hp.head_dim}));
    TS_TRY(resid.open(trace_array_path(path, ".resid.npy"), {R, hp.n_layer, hp.n_embd}));
    std::vector<float> row(size_t(hp.n_embd));
    for (const PositionRecord* r : recs) {
        TS_TRY(q.write(r->q.data(), r->q.size()));
        for (int l = 0; l < hp.n_layer; ++l) {
            r->load_resid(l, row.data());
            TS_TRY(resid.write(row.data(), row.size()));
        }
    }
    TS_TRY(q.close());
    TS_TRY(resid.close());
    return positions;
}

Status write_attention(const std::string& path, const TraceSource& src) {
    const Hparams& hp = src.model.hp;
    const int T       = int(src.steps.size());
    const derive::TraceView tv{src.model, *src.cache, src.steps};
    NpyWriter out;
    TS_TRY(out.open(trace_array_path(path, ".attn.npy"), {hp.n_layer, hp.n_head, T, T}));
    for (int l = 0; l < hp.n_layer; ++l)
        for (int h = 0; h < hp.n_head; ++h) {
            auto m = derive::attention_matrix(tv, l, h);
            if (!m) return m.error();
            TS_TRY(out.write(m->probs.data(), m->probs.size()));
        }
    return out.close();
}

}  // namespace

std::string trace_array_path(const std::string& path, const char* suffix) {
    const std::string ext = ".json";
    std::string stem      = path;
    if (stem.size() > ext.size() && stem.compare(stem.size() - ext.size(), ext.size(), ext) == 0)
        stem.resize(stem.size() - ext.size());
    return stem + suffix;
}

Status write_trace(const std::string& path, const TraceSource& src, const TraceWriteOptions& opt) {
    const Hparams& hp = src.model.hp;
    const int T       = int(src.steps.size());
    for (int p = 0; p < T; ++p)
        if (!src.steps[size_t(p)] || src.steps[size_t(p)]->pos != p)
            return make_error(Code::kInvalidArgument, "%s: trace step %d is missing or out of order", path.c_str(), p);

    // The arrays first, so the JSON can name what was written.
    std::vector<int64_t> positions;
    if (opt.arrays) {
        auto r = write_records(path, src);
        if (!r) return r.error();
        positions = std::move(*r);
        if (src.logits) {
            NpyWriter lw;
            TS_TRY(lw.open(trace_array_path(path, ".logits.npy"), {int64_t(src.logits->size())}));
            TS_TRY(lw.write(src.logits->data(), src.logits->size()));
            TS_TRY(lw.close());
        }
    }
    std::string attn_note;
    bool attn_written = false;
    if (opt.attention) {
        bool all_recorded = true;
        for (const auto& st : src.steps) all_recorded = all_recorded && st->record;
        if (!src.cache) {
            attn_note = "no KV cache given";
        } else if (T > opt.max_attention_positions) {
            attn_note = std::to_string(T) + " positions, more than max_attention_positions " +
                        std::to_string(opt.max_attention_positions);
        } else if (!all_recorded) {
            attn_note = "some positions have no recorded queries";
        } else {
            TS_TRY(write_attention(path, src));
            attn_written = true;
        }
    }

    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) return make_error(Code::kIo, "%s: cannot create: %s", path.c_str(), std::strerror(errno));
    JsonOut j(f);
    j.raw("{").key("format").str("tokenscope.trace").raw(",").key("version").integer(kFormatVersion);
    j.raw(",\n").key("model").raw("{").key("name").str(hp.name).raw(",").key("arch").str(hp.arch_name);
    j.raw(",").key("path").str(src.model.path).raw(",").key("n_vocab").integer(hp.n_vocab);
    j.raw(",").key("n_embd").integer(hp.n_embd).raw(",").key("n_layer").integer(hp.n_layer);
    j.raw(",").key("n_head").integer(hp.n_head).raw(",").key("n_head_kv").integer(hp.n_head_kv);
    j.raw(",").key("head_dim").integer(hp.head_dim).raw(",").key("n_ff").integer(hp.n_ff);
    j.raw(",").key("n_ctx_train").integer(hp.n_ctx_train).raw("}");
    j.raw(",\n").key("n_ctx").integer(src.n_ctx).raw(",").key("n_prompt").integer(src.n_prompt);
    j.raw(",").key("n_pos").integer(T);
    if (src.settings) {
        j.raw(",\n").key("sampler");
        write_settings(j, *src.settings);
    }
    std::set<int32_t> ids;
    j.raw(",\n").key("steps").raw("[\n");
    for (int p = 0; p < T; ++p) {
        j.raw(p ? ",\n" : "");
        write_step(j, *src.steps[size_t(p)], ids);
    }
    j.raw("\n]");

    // Text of every id the document mentions (raw bytes; invalid UTF-8 shown as U+FFFD).
    j.raw(",\n").key("vocab").raw("{");
    bool first = true;
    for (int32_t id : ids) {
        if (id < 0) continue;
        j.raw(first ? "\"" : ",\"").integer(id).raw("\":");
        j.str(src.model.tokenizer ? src.model.tokenizer->token_bytes(id, true) : std::string());
        first = false;
    }
    j.raw("}");

    j.raw(",\n").key("arrays").raw("{");
    if (opt.arrays) {
        j.key("q").raw("{").key("file").str(base_name(trace_array_path(path, ".q.npy"))).raw(",").key("dtype");
        j.str("float32").raw(",").key("shape");
        write_int_array(j, {int64_t(positions.size()), hp.n_layer, hp.n_head, hp.head_dim});
        j.raw(",").key("positions");
        write_int_array(j, positions);
        j.raw("},").key("resid").raw("{").key("file").str(base_name(trace_array_path(path, ".resid.npy")));
        j.raw(",").key("dtype").str("float32").raw(",").key("shape");
        write_int_array(j, {int64_t(positions.size()), hp.n_layer, hp.n_embd});
        j.raw(",").key("positions");
        write_int_array(j, positions);
        j.raw("}");
        if (src.logits) {
            j.raw(",").key("logits").raw("{").key("file").str(base_name(trace_array_path(path, ".logits.npy")));
            j.raw(",").key("dtype").str("float32").raw(",").key("shape");
            write_int_array(j, {int64_t(src.logits->size())});
            j.raw(",").key("pos").integer(T - 1).raw("}");
        }
    }
    if (attn_written) {
        j.raw(opt.arrays ? "," : "").key("attn").raw("{").key("file");
        j.str(base_name(trace_array_path(path, ".attn.npy"))).raw(",").key("dtype").str("float32");
        j.raw(",").key("shape");
        write_int_array(j, {hp.n_layer, hp.n_head, T, T});
        j.raw("}");
    }
    j.raw("}");
    if (!attn_note.empty()) j.raw(",\n").key("attn_skipped").str(attn_note);
    j.raw("}\n");
    const bool ok = j.finish();
    if (std::fclose(f) != 0 || !ok) return make_error(Code::kIo, "%s: write failed", path.c_str());
    return {};
}

}  // namespace ts::core
