// The Journey of one position, replayed by the forward pass (see journey.hpp).
#include "core/trace/journey.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace ts::core {
namespace {

// Keeps a copy of every stage the forward pass shows it, in order.
class KeepAll final : public Observer {
public:
    explicit KeepAll(std::vector<StageTensor>& out) : out_(out) {}
    StageMask wants(int) const override { return StageMask::all(); }
    void observe(Stage stage, int layer, int, TensorView v) override {
        StageTensor t;
        t.stage = stage;
        t.layer = layer;
        t.shape = {v.rows, v.cols};
        t.data.assign(v.data, v.data + size_t(v.rows) * size_t(v.cols));
        out_.push_back(std::move(t));
    }

private:
    std::vector<StageTensor>& out_;
};

// What a norm divides by: √(mean((x - mean)²) + ε), with mean = 0 for RMSNorm (which does not centre).
float rms_of(std::span<const float> x, float mean, float eps) {
    double s = 0;
    for (float v : x) s += double(v - mean) * double(v - mean);
    return float(std::sqrt(s / double(std::max<size_t>(1, x.size())) + double(eps)));
}

float mean_of(std::span<const float> x, NormKind norm) {
    if (norm == NormKind::Rms || x.empty()) return 0.0f;
    double s = 0;
    for (float v : x) s += double(v);
    return float(s / double(x.size()));
}

float max_abs_diff(std::span<const float> a, const float* b) {
    float m = 0;
    for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(a[i] - b[i]));
    return m;
}

}  // namespace

const StageTensor* Journey::find(Stage stage, int layer) const {
    for (const StageTensor& t : tensors)
        if (t.stage == stage && t.layer == layer) return &t;
    return nullptr;
}

Result<Journey> replay_journey(Forward& fwd, const KvCache& cache, int32_t token, int pos, ThreadPool& pool,
                               const PositionRecord* record, Intervener* edit) {
    const Hparams& hp    = fwd.model().hp;
    const ArchDesc& arch = arch_desc(hp);
    Journey j;
    j.pos    = pos;
    j.n_keys = pos + 1;
    j.token  = token;
    KeepAll keep(j.tensors);
    std::vector<float> logits(size_t(hp.n_vocab));
    Observer* obs = &keep;
    Observer* was = edit ? edit->inner() : nullptr;
    if (edit) {
        edit->set_inner(&keep);
        obs = edit;
    }
    const Status st = fwd.replay(cache, token, pos, logits.data(), pool, obs);
    if (edit) edit->set_inner(was);
    if (!st) return st.error();

    j.layers.assign(size_t(hp.n_layer), JourneyLayer{});
    std::vector<float> resid(size_t(hp.n_embd));
    for (int il = 0; il < hp.n_layer; ++il) {
        JourneyLayer& L       = j.layers[size_t(il)];
        const StageTensor* in = il == 0 ? j.find(arch.layer_input, -1) : j.find(Stage::ResidFfn, il - 1);
        if (in) {
            L.mean_attn_in = mean_of(in->all(), arch.norm);
            L.rms_attn_in  = rms_of(in->all(), L.mean_attn_in, hp.norm_eps);
        }
        if (const StageTensor* mid = j.find(Stage::ResidAttn, il)) {
            L.mean_ffn_in = mean_of(mid->all(), arch.norm);
            L.rms_ffn_in  = rms_of(mid->all(), L.mean_ffn_in, hp.norm_eps);
        }
        if (!record || record->n_layer != hp.n_layer) continue;
        if (const StageTensor* q = j.find(arch.query, il); q && int(q->data.size()) <= record->q_dim)
            L.q_max_diff = max_abs_diff(q->all(), record->q_layer(il));
        if (const StageTensor* out = j.find(Stage::ResidFfn, il); out && int(out->data.size()) == record->n_embd) {
            record->load_resid(il, resid.data());
            L.resid_max_diff = max_abs_diff(out->all(), resid.data());
        }
    }
    return j;
}

}  // namespace ts::core
