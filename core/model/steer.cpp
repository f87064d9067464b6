// Steering vectors (intervention.hpp): the difference of the mean residual streams of two texts after a layer.
#include <algorithm>

#include "core/model/forward.hpp"
#include "core/model/intervention.hpp"

namespace ts::core {
namespace {

// Sums the residual stream after `layer` (resid_ffn) over the positions it sees.
struct ResidSum final : Observer {
    int layer = 0;
    std::vector<double> sum;
    int n = 0;
    StageMask wants(int l) const override { return l == layer ? StageMask{}.set(Stage::ResidFfn) : StageMask{}; }
    void observe(Stage, int, int, TensorView v) override {
        for (int i = 0; i < v.cols; ++i) sum[size_t(i)] += double(v.data[i]);
        ++n;
    }
};

Result<std::vector<double>> mean_resid(const Model& model, int layer, std::string_view text, ThreadPool& pool) {
    auto ids = model.tokenizer->encode(text, /*add_special=*/false, /*parse_special=*/false);
    if (!ids) return ids.error();
    if (ids->empty())
        return make_error(Code::kInvalidArgument, "steering vector: the text \"%s\" has no tokens",
                          std::string(text).c_str());
    const int n = int(ids->size());
    if (model.hp.n_ctx_train > 0 && n > model.hp.n_ctx_train)
        return make_error(Code::kInvalidArgument, "steering vector: the text has %d tokens, more than the context", n);
    Forward fwd(model, n);
    auto cache = fwd.make_cache();
    if (!cache) return cache.error();
    ResidSum obs;
    obs.layer = layer;
    obs.sum.assign(size_t(model.hp.n_embd), 0.0);
    TS_TRY(fwd.eval(*cache, ids->data(), n, 0, nullptr, LogitRows::None, pool, &obs));
    for (double& x : obs.sum) x /= double(std::max(1, obs.n));
    return std::move(obs.sum);
}

}  // namespace

Result<std::vector<float>> steering_vector(const Model& model, int layer, std::string_view text_a,
                                           std::string_view text_b, ThreadPool& pool) {
    if (!model.tokenizer)
        return make_error(Code::kInvalidArgument, "steering vector: the model has no tokenizer to read the texts");
    if (layer < 0 || layer >= model.hp.n_layer)
        return make_error(Code::kInvalidArgument, "steering vector: layer %d is outside [0, %d)", layer,
                          model.hp.n_layer);
    auto a = mean_resid(model, layer, text_a, pool);
    if (!a) return a.error();
    auto b = mean_resid(model, layer, text_b, pool);
    if (!b) return b.error();
    std::vector<float> v(a->size());
    for (size_t i = 0; i < v.size(); ++i) v[i] = float((*a)[i] - (*b)[i]);
    return v;
}

Status make_steer(Intervention& iv, const Model& model, ThreadPool& pool) {
    if (iv.kind != InterventionKind::Steer || !iv.steer.empty() || iv.steer_a.empty()) return {};
    auto v = steering_vector(model, iv.layer, iv.steer_a, iv.steer_b, pool);
    if (!v) return v.error();
    iv.steer = std::move(*v);
    return {};
}

Result<std::vector<Intervention>> make_interventions(const std::vector<std::string>& specs, const Model& model,
                                                     ThreadPool& pool) {
    std::vector<Intervention> list;
    for (const std::string& spec : specs) {
        auto iv = parse_intervention(spec, model.hp);
        if (!iv) return iv.error();
        if (iv->kind == InterventionKind::Steer && iv->steer_a.empty())
            return make_error(
                Code::kInvalidArgument,
                "intervention '%s': a steer needs two texts to make its vector: steer:L:ALPHA:TEXT_A|TEXT_B",
                spec.c_str());
        if (Status st = make_steer(*iv, model, pool); !st)
            return make_error(Code::kInvalidArgument, "intervention '%s': %s", spec.c_str(),
                              st.error().message.c_str());
        list.push_back(std::move(*iv));
    }
    return list;
}

}  // namespace ts::core
