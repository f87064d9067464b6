// The head atlas as a job of the engine worker, one short unit at a time (see atlas_job.hpp).
#include "core/session/atlas_job.hpp"

#include <algorithm>

#include "core/base/user_dirs.hpp"
#include "core/model/intervention.hpp"
#include "core/trace/atlas_cache.hpp"

namespace ts::core {
namespace {

using Clock = std::chrono::steady_clock;

bool wants_probe(const AtlasFocus& f, const AtlasState& s) {
    if (f.probe_layer < 0 || f.probe_head < 0) return false;
    return !s.probe || s.probe->layer != f.probe_layer || s.probe->head != f.probe_head;
}

bool wants_ablation(const AtlasFocus& f, const AtlasState& s) {
    if (f.ablate_layer < 0 || f.ablate_head < 0) return false;
    return !s.ablation || s.ablation->layer != f.ablate_layer || s.ablation->head != f.ablate_head;
}

}  // namespace

AtlasJob::AtlasJob() : state_(std::make_shared<const AtlasState>()) {}
AtlasJob::~AtlasJob() = default;

bool AtlasJob::owed(const AtlasFocus& f) const {
    const AtlasState& s = *state_;
    if (!s.atlas && !f.atlas)  // cancel the build, forget its error, or look in the cache
        return build_ != nullptr || !s.error.empty() || (f.look && !f.cache_dir.empty() && looked_in_ != f.cache_dir);
    if (!s.atlas) return s.error.empty();
    auto failed = [&](int l, int h) { return l == failed_layer_ && h == failed_head_; };
    return (wants_probe(f, s) && !failed(f.probe_layer, f.probe_head)) ||
           (wants_ablation(f, s) && !failed(f.ablate_layer, f.ablate_head));
}

std::shared_ptr<const HeadAtlas> AtlasJob::from_cache(const AtlasFocus& f, const Model& model, std::string* file) {
    looked_in_ = f.cache_dir;
    if (f.cache_dir.empty()) return nullptr;
    cache_key_ = atlas_cache_key(model, AtlasOptions{});
    *file      = atlas_cache_path(f.cache_dir, cache_key_);
    auto a     = load_atlas(*file, cache_key_, model.hp);
    return a ? std::make_shared<const HeadAtlas>(std::move(*a)) : nullptr;
}

void AtlasJob::start(const AtlasFocus& f, const Model& model) {
    AtlasState s;
    if ((s.atlas = from_cache(f, model, &s.cache_file))) {
        s.from_cache = true;
        set(std::move(s));
        return;
    }
    auto b = AtlasBuild::start(model, AtlasOptions{});
    if (!b) {
        s.error = b.error().message;
        set(std::move(s));
        return;
    }
    build_  = std::move(*b);
    s.total = build_->total();
    set(std::move(s));
}

void AtlasJob::step(const AtlasFocus& f, ThreadPool& pool) {
    AtlasState s    = *state_;
    const auto t0   = Clock::now();
    Status st       = build_->step(pool, chunk_);
    const double dt = std::chrono::duration<double>(Clock::now() - t0).count();
    s.seconds += dt;
    if (!st) {
        s.error = st.error().message;
        s.done = s.total = 0;
        build_.reset();
        set(std::move(s));
        return;
    }
    // The next unit's size: as many tokens as fit kUnitSeconds at this unit's pace (at most doubling), but never
    // fewer than kMinUnitTokens: a batch reads the weights once, so tiny units would cost a large model most of
    // its speed (the atlas of a TinyLlama-shape model is one batched pass of 97 tokens, about 8 s on 2 cores).
    const double per_token = dt / double(std::max(1, chunk_));
    chunk_                 = std::clamp(per_token > 0 ? int(kUnitSeconds / per_token) : chunk_ * 2, kMinUnitTokens,
                        std::max(kMinUnitTokens, chunk_ * 2));
    s.done                 = build_->done();
    if (build_->finished()) {
        s.atlas = std::make_shared<const HeadAtlas>(build_->finish());
        s.done = s.total = 0;
        build_.reset();
        if (!s.cache_file.empty()) {
            if (!make_dirs(f.cache_dir))
                s.cache_note = "cannot create " + f.cache_dir;
            else if (Status w = save_atlas(s.cache_file, cache_key_, *s.atlas); !w)
                s.cache_note = w.error().message;
            if (!s.cache_note.empty()) s.cache_file.clear();
        }
    }
    set(std::move(s));
}

void AtlasJob::work(const AtlasFocus& f, const Model& model, ThreadPool& pool) {
    if (!f.atlas && !state_->atlas) {
        AtlasState s;
        if (build_ || !state_->error.empty()) {
            build_.reset();  // cancelled; the error (if any) forgotten
        } else if ((s.atlas = from_cache(f, model, &s.cache_file))) {
            s.from_cache = true;
        } else {
            s.cache_file.clear();
        }
        set(std::move(s));
        return;
    }
    if (!state_->atlas) {
        if (!build_)
            start(f, model);
        else
            step(f, pool);
        return;
    }
    AtlasState s       = *state_;
    const HeadAtlas& a = *s.atlas;
    auto fail          = [&](int l, int h, const Error& e) {
        failed_layer_ = l;
        failed_head_  = h;
        s.head_error  = e.message;
    };
    if (wants_probe(f, s) && !(f.probe_layer == failed_layer_ && f.probe_head == failed_head_)) {
        if (auto m = probe_attention(model, a.probe, f.probe_layer, f.probe_head, pool)) {
            s.probe = std::make_shared<const derive::AttnMatrix>(std::move(*m));
            s.head_error.clear();
        } else {
            fail(f.probe_layer, f.probe_head, m.error());
        }
    } else if (wants_ablation(f, s)) {
        const int second = a.first_copy + a.half;
        if (!has_base_loss_) {
            auto base = probe_loss(model, a.probe, second, pool);
            if (!base) {
                fail(f.ablate_layer, f.ablate_head, base.error());
                set(std::move(s));
                return;
            }
            base_loss_     = *base;
            has_base_loss_ = true;
        }
        Intervention zero;
        zero.kind  = InterventionKind::ZeroHead;
        zero.layer = f.ablate_layer;
        zero.head  = f.ablate_head;
        if (f.ablate_layer >= model.hp.n_layer || f.ablate_head >= model.hp.n_head) {
            fail(f.ablate_layer, f.ablate_head,
                 make_error(Code::kInvalidArgument, "ablation: layer %d head %d: the model has %d layers of %d heads",
                            f.ablate_layer, f.ablate_head, model.hp.n_layer, model.hp.n_head));
        } else if (auto r = probe_loss(model, a.probe, second, pool, {zero})) {
            auto ab         = std::make_shared<AtlasAblation>();
            ab->layer       = f.ablate_layer;
            ab->head        = f.ablate_head;
            ab->loss        = base_loss_;
            ab->loss_zeroed = *r;
            s.ablation      = std::move(ab);
            s.head_error.clear();
        } else {
            fail(f.ablate_layer, f.ablate_head, r.error());
        }
    }
    set(std::move(s));
}

}  // namespace ts::core
