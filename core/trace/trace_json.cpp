// write_trace(): the JSON document and its .npy arrays (format: core/trace/README.md).
#include "core/trace/trace_json.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <span>

#include "core/base/json.hpp"
#include "core/model/stage.hpp"
#include "core/sample/settings_json.hpp"
#include "core/trace/derive.hpp"
#include "core/trace/npy.hpp"

namespace ts::core {
namespace {

constexpr int kFormatVersion = 1;

// The document, written top-level field by field so the steps (most of it) never sit in memory twice; each value
// is a Json the library writes.
class JsonOut {
public:
    explicit JsonOut(std::FILE* f) : f_(f) {}
    // `"key":value`, after a comma unless it is the object's first field; `sep` goes before it (a line break).
    JsonOut& field(const char* key, const Json& value, const char* sep = ",\n") {
        buf_ += first_ ? "{" : sep;
        first_ = false;
        buf_ += dump_json(Json(key));
        buf_ += ':';
        return raw(dump_json(value));
    }
    JsonOut& raw(const std::string& s) {
        buf_ += s;
        if (buf_.size() >= (size_t(1) << 20)) flush();
        return *this;
    }
    bool finish() {
        raw("}\n");
        flush();
        return ok_;
    }

private:
    void flush() {
        ok_ = std::fwrite(buf_.data(), 1, buf_.size(), f_) == buf_.size() && ok_;
        buf_.clear();
    }
    std::FILE* f_;
    std::string buf_;
    bool first_ = true;
    bool ok_    = true;
};

std::string base_name(const std::string& path) {
    const size_t slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

Json step_json(const StepTrace& st, std::set<int32_t>& ids) {
    ids.insert(st.token);
    Json norm_attn = Json::array(), norm_ffn = Json::array();
    for (const LayerStep& l : st.layers) {
        norm_attn.push_back(l.resid_norm_attn);
        norm_ffn.push_back(l.resid_norm_ffn);
    }
    Json j{
        {"step", st.step},
        {"pos", st.pos},
        {"token", st.token},
        {"source", kTokenSourceNames[size_t(st.source)]},
        {"branch", st.branch_id},
        {"p_token", st.p_token},
        {"recorded", st.record != nullptr},
        {"resid_norm_attn", std::move(norm_attn)},
        {"resid_norm_ffn", std::move(norm_ffn)},
        {"kv",
         {{"n_pos", st.kv.n_pos},
          {"n_ctx", st.kv.n_ctx},
          {"bytes", st.kv.bytes_total},
          {"bytes_per_layer", st.kv.bytes_per_layer},
          {"layers_stored", st.kv.n_layers_stored},
          {"bytes_capacity", st.kv.bytes_capacity}}},
        {"t_ms",
         {{"forward", st.t.forward_ms}, {"sample", st.t.sample_ms}, {"trace", st.t.trace_ms}, {"batch", st.t.batch}}}};
    // A mixture of experts: each layer's chosen experts and their weights (the full distribution: STEM.router.npy).
    if (st.record && st.record->n_expert > 0) {
        const PositionRecord& r = *st.record;
        Json layers             = Json::array();
        for (int l = 0; l < r.n_layer; ++l) {
            Json chosen = Json::array(), w = Json::array();
            for (int k = 0; k < r.n_expert_used; ++k) {
                chosen.push_back(r.experts[size_t(l * r.n_expert_used + k)]);
                w.push_back(r.expert_w[size_t(l * r.n_expert_used + k)]);
            }
            layers.push_back({{"ids", std::move(chosen)}, {"weights", std::move(w)}});
        }
        j["experts"] = std::move(layers);
    }
    if (!st.has_next) {
        j["next"] = nullptr;
        return j;
    }
    ids.insert(st.next_token);
    const sample::SamplerView& v = st.sampler;
    Json stages                  = Json::array();
    for (const sample::StageView& sv : v.stages) {
        Json top = Json::array();
        for (const auto& t : sv.top) {
            ids.insert(t.id);
            top.push_back(Json::array({t.id, t.logit, t.p}));
        }
        stages.push_back({{"kind", sample::kStageNames[size_t(sv.kind)]},
                          {"enabled", sv.enabled},
                          {"entropy", sv.entropy},
                          {"n_kept", sv.n_kept},
                          {"mass_kept", sv.mass_kept},
                          {"mass_removed", 1.0 - double(sv.mass_kept)},
                          {"top", std::move(top)}});
    }
    j["next"] = {{"token", st.next_token},
                 {"p", st.next_p},
                 {"greedy", v.greedy},
                 {"draw_u", v.draw_u},
                 {"settings", sample::settings_json(st.settings)},
                 {"stages", std::move(stages)}};
    return j;
}

Json array_json(const std::string& path, const char* suffix, const std::vector<int64_t>& shape) {
    return Json{{"file", base_name(trace_array_path(path, suffix))}, {"dtype", "float32"}, {"shape", shape}};
}

// One stage of the architecture's description (core/model/stage.hpp): its key, title and explanation.
Json stage_json(const StageDesc& d) {
    return Json{{"key", stage_key(d.id)}, {"title", d.title}, {"explain", d.explain}};
}

// The description the forward pass ran: the stages before the layers, of each layer, and after them, in order.
Json arch_stages_json(const ArchDesc& arch) {
    auto list = [](std::span<const StageDesc> stages) {
        Json a = Json::array();
        for (const StageDesc& d : stages) a.push_back(stage_json(d));
        return a;
    };
    return Json{{"before", list(arch.before)}, {"block", list(arch.block)}, {"after", list(arch.after)}};
}

// An array of recorded rows, named by the stage they were taken from.
Json recorded_array_json(const std::string& path, const char* suffix, const std::vector<int64_t>& shape,
                         const ArchDesc& arch, Stage stage, const std::vector<int64_t>& positions) {
    Json a = array_json(path, suffix, shape);
    if (const StageDesc* d = find_stage(arch, stage)) a["stage"] = stage_json(*d);
    a["positions"] = positions;
    return a;
}

// The recurrent layers' arrays (PositionRecord's lin_* rows), named after the stage each was taken from.
struct LinArray {
    const char* name;
    const char* suffix;
    Stage stage;
    std::vector<float> PositionRecord::*field;
};
const LinArray kLinArrays[] = {
    {"lin_decay", ".lin_decay.npy", Stage::LinDecay, &PositionRecord::lin_decay},
    {"lin_beta", ".lin_beta.npy", Stage::LinBeta, &PositionRecord::lin_beta},
    {"lin_state_norm", ".lin_state_norm.npy", Stage::LinStateNorm, &PositionRecord::lin_state_norm},
};

// The recurrent layers, in order (the second axis of the lin_* arrays).
std::vector<int64_t> lin_layers(const Hparams& hp) {
    std::vector<int64_t> out;
    for (int l = 0; l < hp.n_layer; ++l)
        if (hp.is_recurrent(l)) out.push_back(l);
    return out;
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
    if (hp.is_moe()) {  // the router's full distribution at every recorded position and layer
        NpyWriter router;
        TS_TRY(router.open(trace_array_path(path, ".router.npy"), {R, hp.n_layer, hp.n_expert}));
        for (const PositionRecord* r : recs) TS_TRY(router.write(r->router.data(), r->router.size()));
        TS_TRY(router.close());
    }
    if (hp.has_recurrent()) {  // the recurrent layers' gates and state norms, lin_layers(hp) in order
        const std::vector<int64_t> layers = lin_layers(hp);
        for (const LinArray& a : kLinArrays) {
            NpyWriter w;
            TS_TRY(w.open(trace_array_path(path, a.suffix), {R, int64_t(layers.size()), hp.ssm_dt_rank}));
            for (const PositionRecord* r : recs)
                for (int64_t l : layers) {
                    const std::vector<float>& v = r->*(a.field);
                    if (v.size() != size_t(hp.n_layer) * size_t(hp.ssm_dt_rank))
                        return make_error(Code::kInternal, "%s: position %d has no recurrent record", path.c_str(),
                                          r->pos);
                    TS_TRY(w.write(v.data() + size_t(l) * size_t(hp.ssm_dt_rank), size_t(hp.ssm_dt_rank)));
                }
            TS_TRY(w.close());
        }
    }
    return positions;
}

Status write_attention(const std::string& path, const TraceSource& src) {
    const Hparams& hp = src.model.hp;
    const int T       = int(src.steps.size());
    const derive::TraceView tv{src.model, *src.cache, src.steps, src.interventions, src.n_prompt};
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
    const Hparams& hp    = src.model.hp;
    const ArchDesc& arch = arch_desc(hp);
    const int T          = int(src.steps.size());
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
    j.field("format", "tokenscope.trace").field("version", kFormatVersion, ",");
    j.field("model", {{"name", hp.name},
                      {"arch", hp.arch_name},
                      {"path", src.model.path},
                      {"n_vocab", hp.n_vocab},
                      {"n_embd", hp.n_embd},
                      {"n_layer", hp.n_layer},
                      {"n_head", hp.n_head},
                      {"n_head_kv", hp.n_head_kv},
                      {"head_dim", hp.head_dim},
                      {"n_ff", hp.n_ff},
                      {"n_expert", hp.n_expert},
                      {"n_expert_used", hp.n_expert_used},
                      {"n_ctx_train", hp.n_ctx_train},
                      {"stages", arch_stages_json(arch)}});
    j.field("n_ctx", src.n_ctx).field("n_prompt", src.n_prompt, ",").field("n_pos", T, ",");
    if (src.settings) j.field("sampler", sample::settings_json(*src.settings));
    Json ivs = Json::array();
    if (src.interventions)
        for (const Intervention& iv : *src.interventions)
            ivs.push_back({{"spec", intervention_spec(iv)},
                           {"enabled", iv.enabled},
                           {"from_pos", iv.from_pos},
                           {"describe", describe_intervention(iv)}});
    j.field("interventions", ivs);
    std::set<int32_t> ids;
    j.raw(",\n\"steps\":[\n");
    for (int p = 0; p < T; ++p) j.raw((p ? ",\n" : "") + dump_json(step_json(*src.steps[size_t(p)], ids)));
    j.raw("\n]");

    // Text of every id the document mentions (raw bytes; invalid UTF-8 shown as U+FFFD).
    Json vocab = Json::object();
    for (int32_t id : ids)
        if (id >= 0)
            vocab[std::to_string(id)] =
                src.model.tokenizer ? src.model.tokenizer->token_bytes(id, true) : std::string();
    j.field("vocab", vocab);

    Json arrays = Json::object();
    if (opt.arrays) {
        const auto R = int64_t(positions.size());
        // The recorder's stages (recorder.hpp): the rows the scores read, and each layer's output.
        arrays["q"] =
            recorded_array_json(path, ".q.npy", {R, hp.n_layer, hp.n_head, hp.head_dim}, arch, arch.query, positions);
        arrays["resid"] =
            recorded_array_json(path, ".resid.npy", {R, hp.n_layer, hp.n_embd}, arch, Stage::ResidFfn, positions);
        if (hp.is_moe())
            arrays["router"] = recorded_array_json(path, ".router.npy", {R, hp.n_layer, hp.n_expert}, arch,
                                                   Stage::FfnRouterProbs, positions);
        if (hp.has_recurrent()) {
            const std::vector<int64_t> layers = lin_layers(hp);
            for (const LinArray& a : kLinArrays) {
                arrays[a.name] = recorded_array_json(path, a.suffix, {R, int64_t(layers.size()), hp.ssm_dt_rank}, arch,
                                                     a.stage, positions);
                arrays[a.name]["layers"] = layers;
            }
        }
        if (src.logits) {
            arrays["logits"]        = array_json(path, ".logits.npy", {int64_t(src.logits->size())});
            arrays["logits"]["pos"] = T - 1;
        }
    }
    if (attn_written) arrays["attn"] = array_json(path, ".attn.npy", {hp.n_layer, hp.n_head, T, T});
    j.field("arrays", arrays);
    if (!attn_note.empty()) j.field("attn_skipped", attn_note);
    const bool ok = j.finish();
    if (std::fclose(f) != 0 || !ok) return make_error(Code::kIo, "%s: write failed", path.c_str());
    return {};
}

}  // namespace ts::core
