// The head atlas: every head scored on a repeated random sequence (see head_atlas.hpp).
#include "core/trace/head_atlas.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/model/forward.hpp"
#include "core/trace/sinks.hpp"

namespace ts::core {
namespace {

// Keeps every head's attention rows: probs[layer][head][i][j] for j <= i.
class KeepProbs final : public Observer {
public:
    KeepProbs(int n_layer, int n_head, int n)
        : n_head_(n_head), n_(n), probs_(size_t(n_layer) * size_t(n_head) * size_t(n) * size_t(n), 0.0f) {}
    StageMask wants(int layer) const override { return layer >= 0 ? StageMask{}.set(Stage::AttnProbs) : StageMask{}; }
    void observe(Stage, int layer, int pos, TensorView v) override {
        for (int h = 0; h < v.rows && h < n_head_; ++h)
            std::copy(v.data + size_t(h) * size_t(v.cols), v.data + size_t(h + 1) * size_t(v.cols),
                      rows(layer, h) + size_t(pos) * size_t(n_));
    }
    float* rows(int layer, int head) {
        return probs_.data() + (size_t(layer) * size_t(n_head_) + size_t(head)) * size_t(n_) * size_t(n_);
    }

private:
    int n_head_, n_;
    std::vector<float> probs_;
};

// Keeps one head's score and probability rows: [n][n] each, -inf / 0 above the diagonal.
class KeepHead final : public Observer {
public:
    KeepHead(int layer, int head, int n) : layer_(layer), head_(head), n_(n) {
        m.layer = layer;
        m.head  = head;
        m.n     = n;
        m.scores.assign(size_t(n) * size_t(n), -std::numeric_limits<float>::infinity());
        m.probs.assign(size_t(n) * size_t(n), 0.0f);
    }
    StageMask wants(int layer) const override {
        return layer == layer_ ? StageMask{}.set(Stage::AttnScores).set(Stage::AttnProbs) : StageMask{};
    }
    void observe(Stage stage, int layer, int pos, TensorView v) override {
        if (layer != layer_ || head_ >= v.rows) return;
        const float* row = v.data + size_t(head_) * size_t(v.cols);
        float* out       = (stage == Stage::AttnScores ? m.scores : m.probs).data() + size_t(pos) * size_t(n_);
        std::copy(row, row + std::min(v.cols, n_), out);
    }
    derive::AttnMatrix m;

private:
    int layer_, head_, n_;
};

bool ordinary(const Vocab& v, int32_t id) {
    if (id == v.bos || id == v.eos || id == v.eot || id == v.unk || id == v.pad) return false;
    if (v.types.empty() || size_t(id) >= v.types.size()) return true;
    return v.types[size_t(id)] == TokenType::Normal || v.types[size_t(id)] == TokenType::Undefined;
}

}  // namespace

std::vector<int32_t> atlas_probe(const Model& model, const AtlasOptions& opt, int* first_copy) {
    const Vocab* vocab = model.tokenizer ? &model.tokenizer->vocab() : nullptr;
    std::vector<int32_t> pool;
    for (int32_t id = 0; id < model.hp.n_vocab; ++id)
        if (!vocab || ordinary(*vocab, id)) pool.push_back(id);
    if (pool.empty())
        for (int32_t id = 0; id < model.hp.n_vocab; ++id) pool.push_back(id);
    // R: distinct ids while the vocabulary has enough (a partial Fisher–Yates shuffle with a fixed generator).
    uint64_t x = 0x9E3779B97F4A7C15ull ^ opt.seed;
    auto next  = [&x] {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        return x;
    };
    std::vector<int32_t> r;
    for (int i = 0; i < opt.half; ++i) {
        const size_t k = size_t(i) % pool.size();
        std::swap(pool[k], pool[k + size_t(next() % (pool.size() - k))]);
        r.push_back(pool[k]);
    }
    std::vector<int32_t> probe;
    if (vocab && vocab->bos >= 0 && vocab->add_bos) probe.push_back(vocab->bos);
    if (first_copy) *first_copy = int(probe.size());
    probe.insert(probe.end(), r.begin(), r.end());
    probe.insert(probe.end(), r.begin(), r.end());
    return probe;
}

HeadScores score_head(const AttentionRows& rows, int first_copy, int half) {
    HeadScores s;
    const int n = rows.n;
    if (n < 2) return s;
    for (int i = 1; i < n; ++i) {
        const float* p = rows.data + size_t(i) * size_t(n);
        s.prev_token += p[i - 1];
        s.first_token += p[0];
        s.self += p[i];
        double h = 0, mass = 0;
        for (int j = 0; j <= i; ++j)
            if (p[j] > 0) h -= double(p[j]) * std::log2(double(p[j]));
        s.entropy_bits += float(h);
        int back = 0;
        for (int j = i; j >= 0; --j, ++back) {
            mass += p[j];
            if (mass >= 0.9) break;
        }
        s.window += float(back);
    }
    const float q = float(n - 1);
    s.prev_token /= q, s.first_token /= q, s.self /= q, s.entropy_bits /= q, s.window /= q;
    const int second = first_copy + half;
    int counted      = 0;
    for (int i = second; i < std::min(n, second + half); ++i, ++counted) {
        const float* p = rows.data + size_t(i) * size_t(n);
        s.duplicate += p[i - half];
        s.induction += p[i - half + 1];
    }
    if (counted > 0) s.duplicate /= float(counted), s.induction /= float(counted);
    s.sink_cols = find_sinks(rows.data, n);
    s.sink      = sink_fraction(rows.data, n, s.sink_cols);
    s.tag       = atlas_tag(s);
    return s;
}

std::string_view atlas_tag(const HeadScores& s) {
    const std::pair<float, std::string_view> tags[] = {{s.prev_token, "previous-token"},
                                                       {s.first_token, "first-token"},
                                                       {s.self, "self"},
                                                       {s.duplicate, "duplicate-token"},
                                                       {s.induction, "induction"}};
    const auto* best                                = std::max_element(std::begin(tags), std::end(tags),
                                                                       [](const auto& a, const auto& b) { return a.first < b.first; });
    return best->first >= kAtlasTagThreshold ? best->second : std::string_view("diffuse");
}

void mark_linear_layers(HeadAtlas& atlas, const Hparams& hp) {
    atlas.linear.assign(size_t(atlas.n_layer), 0);
    for (int l = 0; l < atlas.n_layer && l < hp.n_layer; ++l) {
        if (!hp.is_recurrent(l)) continue;
        atlas.linear[size_t(l)] = 1;
        for (int h = 0; h < atlas.n_head; ++h) {
            const size_t k = size_t(l) * size_t(atlas.n_head) + size_t(h);
            if (k >= atlas.heads.size()) break;
            HeadScores s;
            s.layer        = l;
            s.head         = h;
            s.tag          = kLinearAttentionTag;
            atlas.heads[k] = std::move(s);
        }
    }
}

struct AtlasBuild::State {
    State(const Model& m, HeadAtlas a, int half_)
        : hp(m.hp),
          atlas(std::move(a)),
          half(half_),
          fwd(m, int(atlas.probe.size())),
          keep(atlas.n_layer, atlas.n_head, int(atlas.probe.size())) {}
    const Hparams& hp;
    HeadAtlas atlas;  // probe and shape; heads filled by finish()
    int half;
    Forward fwd;
    KvCache cache;
    KeepProbs keep;
    int done = 0;
};

AtlasBuild::AtlasBuild(std::unique_ptr<State> s) : s_(std::move(s)) {}
AtlasBuild::~AtlasBuild() = default;

Result<std::unique_ptr<AtlasBuild>> AtlasBuild::start(const Model& model, const AtlasOptions& opt) {
    if (opt.half < 2) return make_error(Code::kInvalidArgument, "head atlas: the probe's half must be >= 2");
    HeadAtlas a;
    a.n_layer  = model.hp.n_layer;
    a.n_head   = model.hp.n_head;
    a.probe    = atlas_probe(model, opt, &a.first_copy);
    a.half     = opt.half;
    auto s     = std::make_unique<State>(model, std::move(a), opt.half);
    auto cache = s->fwd.make_cache();
    if (!cache) return cache.error();
    s->cache = std::move(*cache);
    return std::unique_ptr<AtlasBuild>(new AtlasBuild(std::move(s)));
}

int AtlasBuild::done() const {
    return s_->done;
}

int AtlasBuild::total() const {
    return int(s_->atlas.probe.size());
}

Status AtlasBuild::step(ThreadPool& pool, int max_tokens) {
    const int k = std::min(std::max(1, max_tokens), total() - s_->done);
    if (k <= 0) return {};
    TS_TRY(s_->fwd.eval(s_->cache, s_->atlas.probe.data() + s_->done, k, s_->done, nullptr, LogitRows::None, pool,
                        &s_->keep));
    s_->done += k;
    return {};
}

HeadAtlas AtlasBuild::finish() const {
    HeadAtlas a = s_->atlas;
    const int n = total();
    a.heads.clear();
    a.heads.reserve(size_t(a.n_layer) * size_t(a.n_head));
    for (int l = 0; l < a.n_layer; ++l)
        for (int h = 0; h < a.n_head; ++h) {
            HeadScores s = score_head({s_->keep.rows(l, h), n}, a.first_copy, s_->half);
            s.layer      = l;
            s.head       = h;
            a.heads.push_back(std::move(s));
        }
    mark_linear_layers(a, s_->hp);
    return a;
}

Result<HeadAtlas> build_head_atlas(const Model& model, ThreadPool& pool, const AtlasOptions& opt) {
    auto b = AtlasBuild::start(model, opt);
    if (!b) return b.error();
    TS_TRY((*b)->step(pool, (*b)->total()));
    return (*b)->finish();
}

Result<derive::AttnMatrix> probe_attention(const Model& model, const std::vector<int32_t>& probe, int layer, int head,
                                           ThreadPool& pool) {
    if (layer < 0 || layer >= model.hp.n_layer || head < 0 || head >= model.hp.n_head)
        return make_error(Code::kInvalidArgument,
                          "probe attention: layer %d head %d: the model has %d layers of %d heads", layer, head,
                          model.hp.n_layer, model.hp.n_head);
    if (model.hp.is_recurrent(layer))
        return make_error(Code::kInvalidArgument,
                          "probe attention: layer %d is linear attention (recurrent state): it has no attention "
                          "pattern",
                          layer);
    const int n = int(probe.size());
    if (n < 1) return make_error(Code::kInvalidArgument, "probe attention: an empty probe");
    Forward fwd(model, n);
    auto cache = fwd.make_cache();
    if (!cache) return cache.error();
    KeepHead keep(layer, head, n);
    TS_TRY(fwd.eval(*cache, probe.data(), n, 0, nullptr, LogitRows::None, pool, &keep));
    return std::move(keep.m);
}

Result<double> probe_loss(const Model& model, const std::vector<int32_t>& probe, int second_copy, ThreadPool& pool,
                          const std::vector<Intervention>& interventions) {
    const int n = int(probe.size()), V = model.hp.n_vocab;
    if (second_copy < 1 || second_copy >= n)
        return make_error(Code::kInvalidArgument, "probe loss: the second copy starts at %d of %d tokens", second_copy,
                          n);
    Forward fwd(model, n);
    auto cache = fwd.make_cache();
    if (!cache) return cache.error();
    std::vector<float> logits(size_t(n) * size_t(V));
    Intervener iv(model.hp, interventions);
    TS_TRY(fwd.eval(*cache, probe.data(), n, 0, logits.data(), LogitRows::All, pool, iv.active() ? &iv : nullptr));
    double sum = 0;
    for (int t = second_copy; t < n; ++t) {
        const float* z = logits.data() + size_t(t - 1) * size_t(V);
        const double m = *std::max_element(z, z + V);
        double e       = 0;
        for (int i = 0; i < V; ++i) e += std::exp(double(z[i]) - m);
        sum += m + std::log(e) - double(z[probe[size_t(t)]]);
    }
    return sum / double(n - second_copy);
}

}  // namespace ts::core
