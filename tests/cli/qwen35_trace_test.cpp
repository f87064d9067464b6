// What the trace keeps of qwen35's recurrent (gated DeltaNet) layers, for the explorer's recurrent view and the trace
// file: the decay gate g, the write strength β and the state norm ‖S‖ of every value head at every position are the
// rows the forward pass handed its observer, the state norm is the norm of the state the forward pass holds (checked
// by hand), recurrent_series shows exp(g) as the state update multiplies by it, and write_trace writes the three as
// STEM.lin_decay.npy, STEM.lin_beta.npy and STEM.lin_state_norm.npy. Also: the KV digest reads an attention layer.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <tuple>

#include "core/model/arch/deltanet.hpp"
#include "core/model/forward.hpp"
#include "core/session/session.hpp"
#include "core/trace/recorder.hpp"
#include "core/trace/recurrent.hpp"
#include "tests/cli/random_file.hpp"
#include "tools/random_model.hpp"

namespace ts::core {
namespace {

// Keeps every lin_* row the forward pass shows, and hands every stage to the recorder too.
struct Tee : Observer {
    explicit Tee(TraceRecorder& r) : rec(r) {}
    TraceRecorder& rec;
    std::map<std::tuple<Stage, int, int>, std::vector<float>> seen;
    StageMask wants(int layer) const override {
        StageMask m = rec.wants(layer);
        m.set(Stage::LinDecay).set(Stage::LinBeta).set(Stage::LinStateNorm);
        return m;
    }
    void observe(Stage s, int layer, int pos, TensorView v) override {
        if (s == Stage::LinDecay || s == Stage::LinBeta || s == Stage::LinStateNorm)
            seen[{s, layer, pos}].assign(v.data, v.data + size_t(v.rows) * size_t(v.cols));
        if (rec.wants(layer).has(s)) rec.observe(s, layer, pos, v);
    }
};

std::shared_ptr<const Model> load_tiny(const std::string& tag) {
    return testing::load_random_model(ts::tools::tiny_qwen35_spec(DType::F32), "q35t_" + tag);
}

std::vector<int32_t> prompt(int n) {
    return testing::cycling_prompt(n);
}

// The gated delta rule on a 2 × 2 state, by hand. S (S[i][j]: key dim i, value dim j) = I; g = ln 0.5 halves it;
// k = (1, 0): Sᵀk = (0.5, 0); v = (2, 1), β = 0.5: u = β(v − Sᵀk) = (0.75, 0.5); S ← S + k uᵀ = [[1.25, 0.5],
// [0, 0.5]]; ‖S‖ = √(1.5625 + 0.25 + 0.25); q = (0, 1): o = Sᵀq/√2 = (0, 0.5/√2).
TEST(DeltaRule, HandComputedTwoByTwo) {
    float M[4]       = {1, 0, 0, 1};  // stored M[j][i] = S[i][j]
    const float q[2] = {0, 1}, k[2] = {1, 0}, v[2] = {2, 1};
    float o[2], delta[2];
    const float norm = deltanet::delta_rule_step(M, 2, q, k, v, std::log(0.5f), 0.5f, o, delta);
    EXPECT_NEAR(M[0], 1.25f, 1e-6f);  // S[0][0]
    EXPECT_NEAR(M[1], 0.0f, 1e-6f);   // S[1][0]
    EXPECT_NEAR(M[2], 0.5f, 1e-6f);   // S[0][1]
    EXPECT_NEAR(M[3], 0.5f, 1e-6f);   // S[1][1]
    EXPECT_NEAR(norm, std::sqrt(2.0625f), 1e-6f);
    EXPECT_NEAR(o[0], 0.0f, 1e-6f);
    EXPECT_NEAR(o[1], 0.5f / std::sqrt(2.0f), 1e-6f);
    EXPECT_FLOAT_EQ(deltanet::decay_factor(std::log(0.5f)), 0.5f);
}

// A 12-token prefill in one batch: the recorder's lin_* rows are the rows the forward pass showed, bit for bit, NaN
// on the attention layer; the last position's state norm is the Frobenius norm of each head's state in the cache.
TEST(Qwen35Trace, RecordsTheGatesAndTheNormOfTheHeldState) {
    auto m = load_tiny("rec");
    ASSERT_TRUE(m);
    const Hparams& hp = m->hp;
    const int n = 12, R = hp.ssm_dt_rank, D = hp.ssm_d_state;
    ASSERT_EQ(R, 4);
    ThreadPool pool(2);
    Forward fwd(*m, 64);
    auto cache = fwd.make_cache();
    ASSERT_TRUE(cache.ok());
    TraceRecorder recorder(hp);
    Tee tee(recorder);
    const auto ids = prompt(n);
    std::vector<float> logits(size_t(hp.n_vocab));
    ASSERT_TRUE(fwd.eval(*cache, ids.data(), n, 0, logits.data(), LogitRows::Last, pool, &tee).ok());
    std::vector<StepTracePtr> steps;
    for (int p = 0; p < n; ++p) {
        PositionCapture c = recorder.take(p);
        ASSERT_TRUE(c.record) << p;
        const PositionRecord& r = *c.record;
        ASSERT_EQ(r.n_lin_head, R);
        for (int l = 0; l < hp.n_layer; ++l)
            for (int h = 0; h < R; ++h) {
                const size_t at = size_t(l) * size_t(R) + size_t(h);
                if (!hp.is_recurrent(l)) {
                    EXPECT_TRUE(std::isnan(r.lin_decay[at]) && std::isnan(r.lin_beta[at]) &&
                                std::isnan(r.lin_state_norm[at]));
                    continue;
                }
                EXPECT_EQ(r.lin_decay[at], (tee.seen.at({Stage::LinDecay, l, p})[size_t(h)]));
                EXPECT_EQ(r.lin_beta[at], (tee.seen.at({Stage::LinBeta, l, p})[size_t(h)]));
                EXPECT_EQ(r.lin_state_norm[at], (tee.seen.at({Stage::LinStateNorm, l, p})[size_t(h)]));
                EXPECT_LE(r.lin_decay[at], 0.0f);
                EXPECT_GT(r.lin_beta[at], 0.0f);
                EXPECT_LT(r.lin_beta[at], 1.0f);
            }
        auto st    = std::make_shared<StepTrace>();
        st->pos    = p;
        st->record = std::move(c.record);
        steps.push_back(std::move(st));
    }
    // The state the forward pass holds after the last token: per recurrent layer the conv inputs, then [R][D][D].
    int rl = -1;
    for (int l = 0; l < hp.n_layer; ++l) {
        if (!hp.is_recurrent(l)) continue;
        ++rl;
        const float* S = cache->recurrent().layer(rl) + hp.conv_state_floats();
        for (int h = 0; h < R; ++h) {
            double sum = 0;
            for (int i = 0; i < D * D; ++i)
                sum += double(S[size_t(h) * size_t(D * D) + size_t(i)]) * S[size_t(h) * size_t(D * D) + size_t(i)];
            const float recorded = steps.back()->record->lin_state_norm[size_t(l) * size_t(R) + size_t(h)];
            EXPECT_GT(sum, 0.0);
            EXPECT_NEAR(recorded, std::sqrt(sum), 1e-6 * std::sqrt(sum)) << "layer " << l << " head " << h;
        }
    }
    // The explorer's series: the same numbers, exp(g) as the update multiplies by it.
    auto s = recurrent_series(hp, steps, 1);
    ASSERT_TRUE(s.ok()) << s.error().message;
    EXPECT_EQ(s->n_pos, n);
    EXPECT_EQ(s->n_head, R);
    EXPECT_EQ(s->d, D);
    EXPECT_EQ(s->n_recorded(), n);
    for (int p = 0; p < n; ++p)
        for (int h = 0; h < R; ++h) {
            const float g = tee.seen.at({Stage::LinDecay, 1, p})[size_t(h)];
            EXPECT_EQ(s->at(s->g, p, h), g);
            EXPECT_EQ(s->at(s->decay, p, h), std::exp(g));
            EXPECT_EQ(s->at(s->beta, p, h), (tee.seen.at({Stage::LinBeta, 1, p})[size_t(h)]));
            EXPECT_EQ(s->at(s->state_norm, p, h), (tee.seen.at({Stage::LinStateNorm, 1, p})[size_t(h)]));
            EXPECT_LE(s->at(s->state_norm, p, h), s->max_state_norm);
        }
    // A dropped record is a gap, not a zero; an attention layer or a model without recurrent layers is refused.
    auto dropped    = std::make_shared<StepTrace>(*steps[3]);
    dropped->record = nullptr;
    steps[3]        = dropped;
    auto gap        = recurrent_series(hp, steps, 0);
    ASSERT_TRUE(gap.ok());
    EXPECT_EQ(gap->n_recorded(), n - 1);
    EXPECT_EQ(gap->recorded[3], 0);
    EXPECT_TRUE(std::isnan(gap->at(gap->state_norm, 3, 0)));
    auto att = recurrent_series(hp, steps, 3);
    ASSERT_FALSE(att.ok());
    EXPECT_NE(att.error().message.find("layer 3 is an attention layer"), std::string::npos) << att.error().message;
    Hparams dense     = hp;
    dense.ssm_d_state = 0;
    EXPECT_FALSE(recurrent_series(dense, steps, 0).ok());
}

// float32 payload of a .npy file (format 1.0, little-endian '<f4') and its shape text.
std::vector<float> read_npy(const std::string& path, std::string* header) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    const std::string b = ss.str();
    EXPECT_GE(b.size(), 10u);
    if (b.size() < 10) return {};
    const size_t hlen = size_t(uint8_t(b[8])) | size_t(uint8_t(b[9])) << 8;
    *header           = b.substr(10, hlen);
    std::vector<float> out((b.size() - 10 - hlen) / 4);
    std::memcpy(out.data(), b.data() + 10 + hlen, out.size() * 4);
    return out;
}

// A session's trace file: the three arrays over the recorded positions and the recurrent layers (0, 1, 2), equal to
// the records; the JSON names them with their stage and layers. The KV digest of each position reads layer 3, the
// only layer with a cache.
TEST(Qwen35Trace, TraceFileWritesTheGatesAndStepsDigestTheAttentionLayer) {
    auto m = load_tiny("file");
    ASSERT_TRUE(m);
    const Hparams& hp = m->hp;
    SessionOptions opt;
    opt.n_ctx = 64;
    auto s    = Session::create(m, opt);
    ASSERT_TRUE(s.ok()) << s.error().message;
    Session& ses = **s;
    ASSERT_TRUE(ses.set_prompt_ids(prompt(6)).ok());
    ASSERT_TRUE(ses.prefill().ok());
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(ses.step().ok());
    const int T = int(ses.steps().size());
    ASSERT_EQ(T, 9);
    for (const StepTracePtr& st : ses.steps()) {
        EXPECT_EQ(st->kv_written.layer, 3);
        const float* k3 = static_cast<const float*>(ses.cache().k_row(3, st->pos));
        EXPECT_EQ(st->kv_written.k[0], k3[0]);
        EXPECT_NE(st->kv_written.k[0], 0.0f);
    }
    const std::string path =
        (std::filesystem::temp_directory_path() / ("ts_q35t_" + std::to_string(getpid()) + ".json")).string();
    ASSERT_TRUE(ses.write_trace(path).ok());
    std::ifstream jf(path);
    std::stringstream js;
    js << jf.rdbuf();
    const std::string json                                                      = js.str();
    const std::string stem                                                      = path.substr(0, path.size() - 5);
    const std::pair<const char*, std::vector<float> PositionRecord::*> arrays[] = {
        {"lin_decay", &PositionRecord::lin_decay},
        {"lin_beta", &PositionRecord::lin_beta},
        {"lin_state_norm", &PositionRecord::lin_state_norm}};
    for (const auto& [name, field] : arrays) {
        SCOPED_TRACE(name);
        EXPECT_NE(json.find(std::string("\"") + name + "\":{"), std::string::npos);
        EXPECT_NE(json.find(std::string(".") + name + ".npy"), std::string::npos);
        std::string header;
        const std::vector<float> a = read_npy(stem + "." + name + ".npy", &header);
        EXPECT_NE(header.find("(9, 3, 4)"), std::string::npos) << header;
        ASSERT_EQ(a.size(), size_t(T) * 3 * 4);
        for (int p = 0; p < T; ++p)
            for (int rl = 0; rl < 3; ++rl)
                for (int h = 0; h < 4; ++h)
                    EXPECT_EQ(a[(size_t(p) * 3 + size_t(rl)) * 4 + size_t(h)],
                              ((*ses.steps()[size_t(p)]->record).*field)[size_t(rl) * 4 + size_t(h)]);
        std::filesystem::remove(stem + "." + name + ".npy");
    }
    EXPECT_NE(json.find("\"layers\":[0,1,2]"), std::string::npos);
    EXPECT_NE(json.find("\"lin_state_norm\",\"title\""), std::string::npos);
    for (const char* suffix : {".json", ".q.npy", ".resid.npy", ".logits.npy"}) std::filesystem::remove(stem + suffix);
    (void)hp;
}

}  // namespace
}  // namespace ts::core
