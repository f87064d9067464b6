// The forward pass checked stage by stage: an observer records every stage, and each stage is recomputed with
// plain loops (tiny_model.hpp) from the engine's own observed inputs of that stage. For quantised weights this is
// the exact check: the engine multiplies quantised rows with activations rounded to Q8_0 / Q8_K, and a 1-ulp
// difference in an activation can flip one rounding and move the final logits by ~1e-2, so end-to-end comparisons
// of quantised models are only meaningful per stage. Each stage must match within 1e-4 of its own scale.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <map>
#include <tuple>
#include <vector>

#include "core/model/forward.hpp"
#include "core/model/layers.hpp"
#include "core/model/model.hpp"
#include "core/model/stage.hpp"
#include "tests/core/at_every_level.hpp"
#include "tests/core/model/tiny_model.hpp"

namespace ts::core {
namespace {

// Every test of these suites runs at every SIMD level the CPU has (tests/core/at_every_level.hpp).
class ForwardStages : public testing::AtEveryLevel {};
TS_AT_EVERY_LEVEL(ForwardStages);

using tiny::TinyModel;
using tiny::TinySpec;
using tiny::TinyTensor;

struct Seen {
    Stage stage;
    int layer, pos, rows, cols;
};

struct Recorder : Observer {
    std::map<std::tuple<Stage, int, int>, std::vector<float>> seen;
    std::vector<Seen> order;  // every observe() call, in order
    StageMask wants(int) const override { return StageMask::all(); }
    void observe(Stage p, int layer, int pos, TensorView v) override {
        seen[{p, layer, pos}].assign(v.data, v.data + size_t(v.rows) * size_t(v.cols));
        order.push_back({p, layer, pos, v.rows, v.cols});
    }
    const std::vector<float>& at(Stage p, int layer, int pos) const { return seen.at({p, layer, pos}); }
};

// |got - want| <= 1e-4 · max(1, max |want|), element by element.
void expect_stage(const std::vector<float>& got, const std::vector<float>& want, const char* stage, int layer,
                  int pos) {
    ASSERT_EQ(got.size(), want.size()) << stage;
    float scale = 1.0f;
    for (float w : want) scale = std::max(scale, std::fabs(w));
    for (size_t i = 0; i < got.size(); ++i)
        ASSERT_NEAR(got[i], want[i], 1e-4f * scale)
            << stage << " layer " << layer << " pos " << pos << " [" << i << "]";
}

std::vector<float> add(const std::vector<float>& a, const std::vector<float>& b) {
    std::vector<float> r(a.size());
    for (size_t i = 0; i < a.size(); ++i) r[i] = a[i] + b[i];
    return r;
}

// Attention of position `pos` from the observed queries (stage q_stage) and the keys (k_stage) and values of every
// position up to it: [n_head][head_dim] heads side by side.
std::vector<float> ref_attention(const Recorder& rec, const TinySpec& s, int il, int pos, Stage q_stage,
                                 Stage k_stage) {
    const int hd = s.head_dim(), group = s.n_head / s.n_head_kv;
    const auto& q_obs = rec.at(q_stage, il, pos);
    std::vector<float> att(size_t(s.q_dim()), 0.0f);
    for (int h = 0; h < s.n_head; ++h) {
        const int kvh = h / group;
        std::vector<double> p(size_t(pos + 1));
        double max = -1e300, sum = 0;
        for (int j = 0; j <= pos; ++j) {
            const auto& kj = rec.at(k_stage, il, j);
            double d       = 0;
            for (int i = 0; i < hd; ++i) d += double(q_obs[size_t(h * hd + i)]) * kj[size_t(kvh * hd + i)];
            p[size_t(j)] = d / std::sqrt(double(hd));
            max          = std::max(max, p[size_t(j)]);
        }
        for (double& e : p) sum += (e = std::exp(e - max));
        for (int j = 0; j <= pos; ++j) {
            const auto& vj = rec.at(Stage::V, il, j);
            for (int i = 0; i < hd; ++i)
                att[size_t(h * hd + i)] += float(p[size_t(j)] / sum * vj[size_t(kvh * hd + i)]);
        }
    }
    return att;
}

// The architecture's description and the forward pass agree: at each position, every declared stage was observed
// exactly once per layer, in the declared order, with the declared shape; every weight a stage names is in the file.
void check_stage_list(const TinyModel& m, const Model& model, const Recorder& rec, int n) {
    const ArchDesc& arch = arch_desc(model.hp);
    EXPECT_EQ(arch.name, model.hp.arch_name);
    for (int pos = 0; pos < n; ++pos) {
        std::vector<std::pair<Stage, int>> want;
        for (const StageDesc& d : arch.before) want.emplace_back(d.id, -1);
        for (int il = 0; il < model.hp.n_layer; ++il)
            for (const StageDesc& d : arch.block) want.emplace_back(d.id, il);
        for (const StageDesc& d : arch.after) want.emplace_back(d.id, -1);
        std::vector<std::pair<Stage, int>> got;
        for (const Seen& e : rec.order) {
            if (e.pos != pos) continue;
            got.emplace_back(e.stage, e.layer);
            const StageDesc* d = find_stage(arch, e.stage);
            ASSERT_NE(d, nullptr) << stage_key(e.stage) << " is not in the description";
            const StageShape sh = stage_shape(d->dims, model.hp, pos + 1, e.layer);
            EXPECT_EQ(e.rows, sh.rows) << stage_key(e.stage) << " layer " << e.layer << " pos " << pos;
            EXPECT_EQ(e.cols, sh.cols) << stage_key(e.stage) << " layer " << e.layer << " pos " << pos;
        }
        ASSERT_EQ(got, want) << "position " << pos;
    }
    for (const StageDesc& d : arch.block)
        for (std::string_view w : d.weights) EXPECT_TRUE(w.empty() || m.has("blk.0." + std::string(w))) << w;
    for (auto list : {arch.before, arch.after})
        for (const StageDesc& d : list)
            for (std::string_view w : d.weights)
                EXPECT_TRUE(w.empty() || (w == "output.weight" && m.spec.tied) || m.has(std::string(w))) << w;
    for (auto list : {arch.before, arch.block, arch.after})
        for (const StageDesc& d : list) {
            EXPECT_FALSE(d.title.empty()) << stage_key(d.id);
            EXPECT_FALSE(d.explain.empty()) << stage_key(d.id);
        }
}

// One forward pass of a tiny model of `s` over kTokens, every stage recorded; the stage list and the input of
// layer 0 (layer_input, the logit lens's embedding row) are checked against the description.
const std::vector<int32_t> kTokens = {1, 5, 36, 0, 17, 17, 2, 30, 11, 8};
struct Recorded {
    tiny::TinyModel m;
    std::shared_ptr<const Model> model;
    Recorder rec;
    std::vector<float> logits;  // [kTokens][n_vocab]
};
void record_tiny(const TinySpec& s, Recorded& r) {
    r.m                    = tiny::make_tiny_model(s);
    const std::string path = tiny::temp_path("model.gguf");
    ASSERT_TRUE(tiny::gguf_writer_for(r.m).write(path).ok());
    auto loaded = load_model(path);
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    r.model     = *loaded;
    const int n = int(kTokens.size());
    ThreadPool pool(1);
    Forward fwd(*r.model, 16, 4);
    auto cache = fwd.make_cache();
    ASSERT_TRUE(cache.ok());
    r.logits.resize(size_t(n) * size_t(s.n_vocab));
    ASSERT_TRUE(fwd.eval(*cache, kTokens.data(), n, 0, r.logits.data(), LogitRows::All, pool, &r.rec).ok());
    check_stage_list(r.m, *r.model, r.rec, n);
    for (int pos = 0; pos < n; ++pos) {
        const auto in = layer_input(*r.model, kTokens[size_t(pos)], pos);
        ASSERT_TRUE(in.ok()) << in.error().message;
        EXPECT_EQ(*in, r.rec.at(arch_desc(r.model->hp).layer_input, -1, pos)) << "layer input at " << pos;
    }
}

void check_stages(const TinySpec& s) {
    Recorded r;
    record_tiny(s, r);
    if (::testing::Test::HasFatalFailure()) return;
    const tiny::TinyModel& m           = r.m;
    const Recorder& rec                = r.rec;
    const std::vector<float>& logits   = r.logits;
    const std::vector<int32_t>& tokens = kTokens;
    const int n = int(tokens.size()), hd = s.head_dim();

    const TinyTensor& embd = m.at("token_embd.weight");
    for (int pos = 0; pos < n; ++pos) {
        std::vector<float> resid = rec.at(Stage::Embed, -1, pos);
        expect_stage(resid,
                     std::vector<float>(embd.ref.begin() + tokens[size_t(pos)] * s.n_embd,
                                        embd.ref.begin() + (tokens[size_t(pos)] + 1) * s.n_embd),
                     "embed", -1, pos);
        for (int il = 0; il < s.n_layer; ++il) {
            const std::string b = "blk." + std::to_string(il) + ".";
            auto bias           = [&](const char* name) { return m.has(b + name) ? &m.at(b + name) : nullptr; };
            const auto& xb      = rec.at(Stage::AttnNorm, il, pos);
            expect_stage(xb, tiny::ref_rms_norm(resid, m.at(b + "attn_norm.weight"), s.eps), "attn_norm", il, pos);

            auto q = tiny::ref_linear(m.at(b + "attn_q.weight"), xb, bias("attn_q.bias"));
            auto k = tiny::ref_linear(m.at(b + "attn_k.weight"), xb, bias("attn_k.bias"));
            expect_stage(rec.at(Stage::QProj, il, pos), q, "q_proj", il, pos);
            expect_stage(rec.at(Stage::KProj, il, pos), k, "k_proj", il, pos);
            if (s.arch == "qwen3") {  // each head RMS-normed, from the observed projections
                q = tiny::ref_head_norm(rec.at(Stage::QProj, il, pos), m.at(b + "attn_q_norm.weight"), hd, s.eps);
                k = tiny::ref_head_norm(rec.at(Stage::KProj, il, pos), m.at(b + "attn_k_norm.weight"), hd, s.eps);
                expect_stage(rec.at(Stage::QNorm, il, pos), q, "q_norm", il, pos);
                expect_stage(rec.at(Stage::KNorm, il, pos), k, "k_norm", il, pos);
            }
            for (int h = 0; h < s.n_head; ++h) tiny::ref_rope(q.data() + h * hd, pos, s);
            for (int h = 0; h < s.n_head_kv; ++h) tiny::ref_rope(k.data() + h * hd, pos, s);
            expect_stage(rec.at(Stage::Q, il, pos), q, "q", il, pos);
            expect_stage(rec.at(Stage::K, il, pos), k, "k", il, pos);
            expect_stage(rec.at(Stage::V, il, pos),
                         tiny::ref_linear(m.at(b + "attn_v.weight"), xb, bias("attn_v.bias")), "v", il, pos);

            // Attention from the observed Q, K, V of every position up to this one.
            const auto att      = ref_attention(rec, s, il, pos, Stage::Q, Stage::K);
            const auto& att_obs = rec.at(Stage::AttnOut, il, pos);
            expect_stage(att_obs, att, "attn_out", il, pos);
            const auto& proj_obs = rec.at(Stage::AttnProj, il, pos);
            expect_stage(proj_obs, tiny::ref_linear(m.at(b + "attn_output.weight"), att_obs), "attn_proj", il, pos);
            expect_stage(rec.at(Stage::ResidAttn, il, pos), add(resid, proj_obs), "resid_attn", il, pos);
            resid = rec.at(Stage::ResidAttn, il, pos);

            const auto& fb = rec.at(Stage::FfnNorm, il, pos);
            expect_stage(fb, tiny::ref_rms_norm(resid, m.at(b + "ffn_norm.weight"), s.eps), "ffn_norm", il, pos);
            expect_stage(rec.at(Stage::FfnGate, il, pos), tiny::ref_linear(m.at(b + "ffn_gate.weight"), fb), "ffn_gate",
                         il, pos);
            expect_stage(rec.at(Stage::FfnUp, il, pos), tiny::ref_linear(m.at(b + "ffn_up.weight"), fb), "ffn_up", il,
                         pos);
            const auto& g0 = rec.at(Stage::FfnGate, il, pos);
            const auto& u  = rec.at(Stage::FfnUp, il, pos);
            std::vector<float> g(g0.size());
            for (size_t i = 0; i < g.size(); ++i) g[i] = float(g0[i] / (1.0 + std::exp(-double(g0[i]))) * u[i]);
            expect_stage(rec.at(Stage::FfnAct, il, pos), g, "ffn_act", il, pos);
            const auto& ffn_obs = rec.at(Stage::FfnOut, il, pos);
            expect_stage(ffn_obs, tiny::ref_linear(m.at(b + "ffn_down.weight"), rec.at(Stage::FfnAct, il, pos)),
                         "ffn_out", il, pos);
            expect_stage(rec.at(Stage::ResidFfn, il, pos), add(resid, ffn_obs), "resid_ffn", il, pos);
            resid = rec.at(Stage::ResidFfn, il, pos);
        }
        const auto& fin = rec.at(Stage::FinalNorm, -1, pos);
        expect_stage(fin, tiny::ref_rms_norm(resid, m.at("output_norm.weight"), s.eps), "final_norm", -1, pos);
        const auto want = tiny::ref_linear(s.tied ? embd : m.at("output.weight"), fin);
        expect_stage(rec.at(Stage::Logits, -1, pos), want, "logits", -1, pos);
        expect_stage(std::vector<float>(logits.begin() + pos * s.n_vocab, logits.begin() + (pos + 1) * s.n_vocab), want,
                     "returned logits", -1, pos);
    }
}

// gpt2: learned positions, LayerNorm with bias, fused QKV, no RoPE (the scores read q_proj and k_proj), GELU MLP.
void check_stages_gpt2(const TinySpec& s) {
    Recorded r;
    record_tiny(s, r);
    if (::testing::Test::HasFatalFailure()) return;
    const tiny::TinyModel& m           = r.m;
    const Recorder& rec                = r.rec;
    const std::vector<float>& logits   = r.logits;
    const std::vector<int32_t>& tokens = kTokens;
    const int n = int(tokens.size()), E = s.n_embd, Q = s.q_dim(), KV = s.kv_dim();

    const TinyTensor& embd = m.at("token_embd.weight");
    const TinyTensor& wpe  = m.at("position_embd.weight");
    for (int pos = 0; pos < n; ++pos) {
        const std::vector<float> tok(embd.ref.begin() + tokens[size_t(pos)] * E,
                                     embd.ref.begin() + (tokens[size_t(pos)] + 1) * E);
        expect_stage(rec.at(Stage::Embed, -1, pos), tok, "embed", -1, pos);
        std::vector<float> resid = add(rec.at(Stage::Embed, -1, pos),
                                       std::vector<float>(wpe.ref.begin() + pos * E, wpe.ref.begin() + (pos + 1) * E));
        expect_stage(rec.at(Stage::PosEmbed, -1, pos), resid, "pos_embd", -1, pos);
        resid = rec.at(Stage::PosEmbed, -1, pos);
        for (int il = 0; il < s.n_layer; ++il) {
            const std::string b = "blk." + std::to_string(il) + ".";
            const auto& xb      = rec.at(Stage::AttnNorm, il, pos);
            expect_stage(xb,
                         tiny::ref_layer_norm(resid, m.at(b + "attn_norm.weight"), m.at(b + "attn_norm.bias"), s.eps),
                         "attn_norm", il, pos);
            const auto qkv = tiny::ref_linear(m.at(b + "attn_qkv.weight"), xb, &m.at(b + "attn_qkv.bias"));
            expect_stage(rec.at(Stage::QProj, il, pos), std::vector<float>(qkv.begin(), qkv.begin() + Q), "q_proj", il,
                         pos);
            expect_stage(rec.at(Stage::KProj, il, pos), std::vector<float>(qkv.begin() + Q, qkv.begin() + Q + KV),
                         "k_proj", il, pos);
            expect_stage(rec.at(Stage::V, il, pos), std::vector<float>(qkv.begin() + Q + KV, qkv.end()), "v", il, pos);

            const auto att      = ref_attention(rec, s, il, pos, Stage::QProj, Stage::KProj);
            const auto& att_obs = rec.at(Stage::AttnOut, il, pos);
            expect_stage(att_obs, att, "attn_out", il, pos);
            const auto& proj_obs = rec.at(Stage::AttnProj, il, pos);
            expect_stage(proj_obs,
                         tiny::ref_linear(m.at(b + "attn_output.weight"), att_obs, &m.at(b + "attn_output.bias")),
                         "attn_proj", il, pos);
            expect_stage(rec.at(Stage::ResidAttn, il, pos), add(resid, proj_obs), "resid_attn", il, pos);
            resid = rec.at(Stage::ResidAttn, il, pos);

            const auto& fb = rec.at(Stage::FfnNorm, il, pos);
            expect_stage(fb, tiny::ref_layer_norm(resid, m.at(b + "ffn_norm.weight"), m.at(b + "ffn_norm.bias"), s.eps),
                         "ffn_norm", il, pos);
            const auto& up = rec.at(Stage::FfnUp, il, pos);
            expect_stage(up, tiny::ref_linear(m.at(b + "ffn_up.weight"), fb, &m.at(b + "ffn_up.bias")), "ffn_up", il,
                         pos);
            std::vector<float> g(up.size());
            for (size_t i = 0; i < g.size(); ++i) g[i] = tiny::ref_gelu(up[i]);
            expect_stage(rec.at(Stage::FfnAct, il, pos), g, "ffn_act", il, pos);
            const auto& ffn_obs = rec.at(Stage::FfnOut, il, pos);
            expect_stage(ffn_obs,
                         tiny::ref_linear(m.at(b + "ffn_down.weight"), rec.at(Stage::FfnAct, il, pos),
                                          &m.at(b + "ffn_down.bias")),
                         "ffn_out", il, pos);
            expect_stage(rec.at(Stage::ResidFfn, il, pos), add(resid, ffn_obs), "resid_ffn", il, pos);
            resid = rec.at(Stage::ResidFfn, il, pos);
        }
        const auto& fin = rec.at(Stage::FinalNorm, -1, pos);
        expect_stage(fin, tiny::ref_layer_norm(resid, m.at("output_norm.weight"), m.at("output_norm.bias"), s.eps),
                     "final_norm", -1, pos);
        const auto want = tiny::ref_linear(s.tied ? embd : m.at("output.weight"), fin);
        expect_stage(rec.at(Stage::Logits, -1, pos), want, "logits", -1, pos);
        expect_stage(std::vector<float>(logits.begin() + pos * s.n_vocab, logits.begin() + (pos + 1) * s.n_vocab), want,
                     "returned logits", -1, pos);
    }
}

// phi3, gemma2, gemma3: the stage list, and the stages that are theirs against plain code from the observed inputs:
// phi3's fused projections split as declared; gemma's scaled embedding, post-norms, GeGLU, sliding window (-inf
// before it on local layers only), soft-caps of the scores and the logits.
void check_stages_phi_gemma(const TinySpec& s) {
    Recorded r;
    record_tiny(s, r);
    if (::testing::Test::HasFatalFailure()) return;
    const tiny::TinyModel& m           = r.m;
    const Recorder& rec                = r.rec;
    const std::vector<float>& logits   = r.logits;
    const std::vector<int32_t>& tokens = kTokens;
    const int n = int(tokens.size()), E = s.n_embd, F = s.n_ff;
    auto part = [](const std::vector<float>& v, int from, int count) {
        return std::vector<float>(v.begin() + from, v.begin() + from + count);
    };
    for (int pos = 0; pos < n; ++pos) {
        std::vector<float> in = rec.at(Stage::Embed, -1, pos);
        if (s.gemma()) {
            for (float& x : in) x *= std::sqrt(float(E));
            expect_stage(rec.at(Stage::EmbedScaled, -1, pos), in, "embed_scaled", -1, pos);
        }
        for (int il = 0; il < s.n_layer; ++il) {
            const std::string b = "blk." + std::to_string(il) + ".";
            const auto& xb      = rec.at(Stage::AttnNorm, il, pos);
            expect_stage(xb, tiny::ref_rms_norm(in, m.at(b + "attn_norm.weight"), s.eps), "attn_norm", il, pos);
            const auto& fx = rec.at(Stage::FfnNorm, il, pos);
            if (s.arch == "phi3") {
                const auto qkv = tiny::ref_linear(m.at(b + "attn_qkv.weight"), xb);
                expect_stage(rec.at(Stage::QProj, il, pos), part(qkv, 0, s.q_dim()), "q_proj", il, pos);
                expect_stage(rec.at(Stage::KProj, il, pos), part(qkv, s.q_dim(), s.kv_dim()), "k_proj", il, pos);
                expect_stage(rec.at(Stage::V, il, pos), part(qkv, s.q_dim() + s.kv_dim(), s.kv_dim()), "v", il, pos);
                const auto gu = tiny::ref_linear(m.at(b + "ffn_up.weight"), fx);
                expect_stage(rec.at(Stage::FfnGate, il, pos), part(gu, 0, F), "ffn_gate", il, pos);
                expect_stage(rec.at(Stage::FfnUp, il, pos), part(gu, F, F), "ffn_up", il, pos);
            } else {
                const auto& proj = rec.at(Stage::AttnProj, il, pos);
                const auto post  = tiny::ref_rms_norm(proj, m.at(b + "post_attention_norm.weight"), s.eps);
                expect_stage(rec.at(Stage::AttnPostNorm, il, pos), post, "attn_post_norm", il, pos);
                expect_stage(rec.at(Stage::ResidAttn, il, pos), add(in, post), "resid_attn", il, pos);
                std::vector<float> act = rec.at(Stage::FfnGate, il, pos);
                const auto& up         = rec.at(Stage::FfnUp, il, pos);
                for (size_t i = 0; i < act.size(); ++i) act[i] = tiny::ref_gelu(act[i]) * up[i];
                expect_stage(rec.at(Stage::FfnAct, il, pos), act, "ffn_act (GeGLU)", il, pos);
                const auto fpost =
                    tiny::ref_rms_norm(rec.at(Stage::FfnOut, il, pos), m.at(b + "post_ffw_norm.weight"), s.eps);
                expect_stage(rec.at(Stage::FfnPostNorm, il, pos), fpost, "ffn_post_norm", il, pos);
                // The window: gemma2's even layers and gemma3's first five of six are local.
                const bool local  = s.arch == "gemma2" ? il % 2 == 0 : il % 6 < 5;
                const auto& sc    = rec.at(Stage::AttnScores, il, pos);
                const auto& probs = rec.at(Stage::AttnProbs, il, pos);
                for (int h = 0; h < s.n_head; ++h)
                    for (int j = 0; j <= pos; ++j) {
                        const bool outside = local && j <= pos - s.n_swa;
                        EXPECT_EQ(std::isinf(sc[size_t(h * (pos + 1) + j)]), outside) << il << " " << pos << " " << j;
                        if (outside) {
                            EXPECT_EQ(probs[size_t(h * (pos + 1) + j)], 0.0f);
                        }
                    }
                if (s.arch == "gemma2") {
                    std::vector<float> capped = sc;
                    for (float& x : capped)
                        if (std::isfinite(x)) x = 50.0f * std::tanh(x / 50.0f);
                    const auto& got = rec.at(Stage::AttnSoftcap, il, pos);
                    for (size_t i = 0; i < got.size(); ++i)
                        if (std::isfinite(capped[i])) {
                            EXPECT_NEAR(got[i], capped[i], 1e-5f) << "attn_softcap " << i;
                        }
                }
            }
            in = rec.at(Stage::ResidFfn, il, pos);
        }
        if (s.arch == "gemma2") {
            std::vector<float> capped = rec.at(Stage::LogitsRaw, -1, pos);
            for (float& x : capped) x = 30.0f * std::tanh(x / 30.0f);
            expect_stage(rec.at(Stage::Logits, -1, pos), capped, "logits (soft-capped)", -1, pos);
            expect_stage(part(logits, pos * s.n_vocab, s.n_vocab), capped, "returned logits", -1, pos);
        }
    }
}

TEST_P(ForwardStages, PhiAndGemmaMatchTheirStages) {
    for (const char* arch : {"phi3", "gemma2", "gemma3"}) {
        SCOPED_TRACE(arch);
        TinySpec s;
        s.arch       = arch;
        s.n_layer    = std::string(arch) == "gemma3" ? 6 : 2;
        s.key_length = std::string(arch) == "phi3" ? 0 : 8;
        s.n_swa      = 3;
        s.tied       = std::string(arch) == "gemma2";
        check_stages_phi_gemma(s);
    }
}

TEST_P(ForwardStages, F32LlamaMatchesEveryStage) {
    check_stages(TinySpec{});
}

TEST_P(ForwardStages, Qwen2WithBiasesMatchesEveryStage) {
    TinySpec s;
    s.arch = "qwen2";
    s.tied = true;
    check_stages(s);
}

TEST_P(ForwardStages, Qwen3WithHeadNormsAndItsOwnHeadSizeMatchesEveryStage) {
    TinySpec s;
    s.arch       = "qwen3";
    s.key_length = 8;  // 4 heads × 8 = 32 query dims from a 16-wide residual stream
    check_stages(s);
}

TEST_P(ForwardStages, Gpt2MatchesEveryStage) {
    for (bool tied : {true, false}) {
        SCOPED_TRACE(tied ? "tied" : "output.weight");
        TinySpec s;
        s.arch      = "gpt2";
        s.n_head_kv = s.n_head;
        s.tied      = tied;
        check_stages_gpt2(s);
    }
}

TEST_P(ForwardStages, QuantisedWeightsMatchEveryStage) {
    for (DType t : {DType::F16, DType::BF16, DType::Q8_0, DType::Q4_0, DType::Q4_K}) {
        if (!can_quantize(t)) continue;
        for (const char* arch : {"llama", "qwen2", "qwen3", "gpt2"}) {
            SCOPED_TRACE(std::string(dtype_name(t)) + " " + arch);
            TinySpec s;
            s.arch        = arch;
            s.matrix_type = t;
            s.n_embd      = t == DType::Q4_K ? 256 : 64;
            s.n_ff        = t == DType::Q4_K ? 256 : 96;
            s.n_head      = 8;
            s.n_head_kv   = s.arch == "gpt2" ? 8 : 2;
            if (s.arch == "qwen3") s.key_length = t == DType::Q4_K ? 64 : 16;  // q_dim 512 / 128: whole blocks
            if (s.arch == "gpt2") {
                check_stages_gpt2(s);
            } else {
                check_stages(s);
            }
        }
    }
}

// gelu() reads a table of the f16 inputs: every f16 value in (-10, 10), values between two f16s (rounded to the
// nearer), and the ends (0 below -10, the identity from 10) equal the formula computed per element.
TEST(Gelu, TableEqualsTheFormulaForEveryInput) {
    std::vector<float> in;
    for (uint32_t i = 0; i < 65536; ++i) {
        const float h = fp16_to_f32(uint16_t(i));
        if (std::isfinite(h)) in.push_back(h);
    }
    for (float v = -12.0f; v < 12.0f; v += 0.0037f) in.push_back(v);  // mostly not f16 values
    for (float v : {-10.0f, 10.0f, -1e30f, 1e30f, 0.0f, -0.0f}) in.push_back(v);
    std::vector<float> out = in;
    gelu(out.data(), int64_t(out.size()));
    for (size_t i = 0; i < in.size(); ++i) {
        const float want = tiny::ref_gelu(in[i]);
        ASSERT_EQ(std::bit_cast<uint32_t>(out[i]), std::bit_cast<uint32_t>(want)) << "gelu(" << in[i] << ")";
    }
}

// The entry where the fused multiply-add of llama.cpp's builds decides the f16 rounding (traced on a GPT-2-shape file:
// two of layer 0's 49152 GELU outputs differed from llama.cpp's by this one f16 step before).
TEST(Gelu, TheInnerTermIsFusedAsInLlamaCppBuilds) {
    float x = -1.9992685f;  // f16 0xBFFF, -1.9990234
    gelu(&x, 1);
    EXPECT_EQ(x, -0.045501708984375f);
}

}  // namespace
}  // namespace ts::core
