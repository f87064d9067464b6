// The Journey panel (`layers`, DESIGN §6, issue 6 item 9): the selected token's trip through one forward pass as an
// itinerary a learner steps through with Next / Previous — token id → embedding → position → per layer: norm,
// Q K V, scores, softmax, weighted sum, heads combined, residual, MLP norm, MLP, residual → final norm → logits →
// softmax → sampler → appended token — each stage with the running model's shapes and real numbers. The numbers
// of a layer are recomputed on a std::thread from the snapshot's immutable data (view_journey.hpp) and checked
// against what the forward pass recorded. Below: the residual-stream norm per layer and the logit lens.
#include <imgui.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <future>
#include <memory>

#include "app/ui/panels.hpp"
#include "app/ui/plot_frame.hpp"
#include "app/ui/view_journey.hpp"
#include "app/ui/view_sampling.hpp"
#include "app/ui/widgets.hpp"

namespace ts::app {

namespace {

using core::Snapshot;
using core::StepTrace;

core::DType cache_type(const Snapshot& snap) {
    if (snap.steps.empty() || !snap.model) return core::DType::F32;
    const core::KvStats& kv = snap.steps.back()->kv;
    const size_t per        = kv.n_pos > 0 ? kv.bytes_per_layer / size_t(kv.n_pos) : 0;
    return per == 2 * size_t(snap.model->hp.kv_dim()) * 2 ? core::DType::F16 : core::DType::F32;
}

// Starts, collects or restarts the recomputation of (pos, layer) for this snapshot state.
void update_trip(LayersView& lv, const Snapshot& snap, int pos, int layer) {
    if (lv.job.valid() && lv.job.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
        auto r = lv.job.get();
        if (r) {
            lv.trip = std::make_shared<const core::LayerTrip>(std::move(*r));
            lv.trip_error.clear();
        } else if (r.error().code != core::Code::kCancelled) {
            lv.trip.reset();
            lv.trip_error = r.error().message;
        }
    }
    const bool same = lv.key_state == snap.state && lv.key_pos == pos && lv.key_layer == layer;
    if (same || layer < 0 || pos < 0) return;
    if (lv.job.valid()) {  // a stale job: ask it to stop, start the new one when it has
        lv.cancel->store(true);
        return;
    }
    lv.key_state = snap.state;
    lv.key_pos   = pos;
    lv.key_layer = layer;
    lv.cancel    = std::make_shared<std::atomic<bool>>(false);
    std::vector<core::StepTracePtr> steps(snap.steps.begin(), snap.steps.begin() + pos + 1);
    lv.job = std::async(std::launch::async, [model = snap.model, steps = std::move(steps), pos, layer,
                                             type = cache_type(snap), cancel = lv.cancel] {
        return core::compute_layer_trip(*model, steps, pos, layer, type, cancel.get());
    });
}

// "name  ‖v‖ = …  [v0, v1, …]" and a bar sparkline of the first values (hover: index and value).
void vec_preview(const UiState& ui, const char* name, std::span<const float> v, int n_show = 8) {
    ImGui::Text("%s", name);
    ImGui::SameLine();
    ImGui::TextDisabled("‖·‖ = %.4f", double(l2_norm(v)));
    ImGui::SameLine();
    std::string s = "[";
    char buf[32];
    for (int i = 0; i < std::min<int>(n_show, int(v.size())); ++i) {
        std::snprintf(buf, sizeof buf, "%s%.4f", i ? ", " : "", double(v[size_t(i)]));
        s += buf;
    }
    s += int(v.size()) > n_show ? ", …]" : "]";
    ImGui::PushFont(ui.fonts.mono);
    ImGui::TextUnformatted(s.c_str());
    ImGui::PopFont();

    const int n = std::min<int>(128, int(v.size()));
    if (n == 0) return;
    float m = 1e-12f;
    for (int i = 0; i < n; ++i) m = std::max(m, std::abs(v[size_t(i)]));
    const float w = std::min(ImGui::GetContentRegionAvail().x, float(n) * 6.0f), h = 34.0f;
    const ImVec2 p0 = ImGui::GetCursorScreenPos();
    ImGui::PushID(name);
    ImGui::InvisibleButton("spark", ImVec2(w, h));
    ImGui::PopID();
    ImDrawList* dl  = ImGui::GetWindowDrawList();
    const float mid = p0.y + h * 0.5f, bw = w / float(n);
    dl->AddLine(ImVec2(p0.x, mid), ImVec2(p0.x + w, mid), plot_colors::kGrid);
    for (int i = 0; i < n; ++i) {
        const float y = mid - v[size_t(i)] / m * h * 0.48f;
        dl->AddRectFilled(ImVec2(p0.x + bw * float(i), std::min(y, mid)),
                          ImVec2(p0.x + bw * float(i + 1) - 1, std::max(y, mid)),
                          v[size_t(i)] >= 0 ? plot_colors::kBlue : plot_colors::kVermilion);
    }
    if (ImGui::IsItemHovered()) {
        const int i = std::clamp(int((ImGui::GetIO().MousePos.x - p0.x) / bw), 0, n - 1);
        ImGui::SetTooltip("%s[%d] = %.6f\n(bars: the first %d of %d values, scaled to the largest |value| %.4f)", name,
                          i, double(v[size_t(i)]), n, int(v.size()), double(m));
    }
}

// Bars over the keys 0..pos of one head's row (scores or probabilities), hover naming the key token.
void key_bars(const UiState& ui, const Snapshot& snap, const char* id, std::span<const float> row, bool probs,
              float height) {
    const int n = int(row.size());
    float lo = 0, hi = 1;
    if (!probs) {
        lo = *std::min_element(row.begin(), row.end());
        hi = *std::max_element(row.begin(), row.end());
        lo = std::min(lo, 0.0f);
        hi = std::max(hi, 0.0f);
        if (hi - lo < 1e-6f) hi = lo + 1;
    }
    PlotAxes ax;
    ax.x_label  = "key position";
    ax.y_label  = probs ? "attention weight" : "score q·k/√d";
    ax.x_min    = -0.5;
    ax.x_max    = n - 0.5;
    ax.y_min    = lo;
    ax.y_max    = hi;
    ax.x_ticks  = 0;
    ax.y_fmt    = "%.3g";
    PlotFrame f = begin_plot(id, ImVec2(ImGui::GetContentRegionAvail().x, height), ax);
    bar_ticks(f, n);
    const float bw = f.width() / float(n);
    const float y0 = f.to_screen(0, 0).y;
    for (int j = 0; j < n; ++j) {
        const float x  = f.p0.x + bw * float(j);
        const float yv = f.p1.y - (row[size_t(j)] - lo) / (hi - lo) * f.height();
        f.dl->AddRectFilled(ImVec2(x + (bw > 3 ? 1 : 0), std::min(yv, y0)),
                            ImVec2(x + bw - (bw > 3 ? 1 : 0), std::max(yv, y0)),
                            probs ? plot_colors::kBlue : plot_colors::kGreen);
    }
    if (f.hovered) {
        const int j = std::clamp(int((f.mouse.x - f.p0.x) / bw), 0, n - 1);
        ImGui::BeginTooltip();
        ImGui::Text("key %d", j);
        ImGui::SameLine();
        ImGui::PushFont(ui.fonts.mono);
        ImGui::TextUnformatted(token_label(*snap.model, snap.steps[size_t(j)]->token).c_str());
        ImGui::PopFont();
        ImGui::Text("%s %.6f", probs ? "weight" : "score", double(row[size_t(j)]));
        ImGui::EndTooltip();
    }
}

void top_tokens(const UiState& ui, const core::Model& model, const std::vector<core::sample::TokenProb>& top, int n,
                bool show_logit) {
    for (int i = 0; i < std::min<int>(n, int(top.size())); ++i) {
        const auto& t = top[size_t(i)];
        ImGui::PushFont(ui.fonts.mono);
        ImGui::Text("%2d. %-14s id %-6d", i + 1, token_label(model, t.id).c_str(), t.id);
        ImGui::PopFont();
        ImGui::SameLine();
        if (show_logit)
            ImGui::Text("logit %.4f   p %.5f", double(t.logit), double(t.p));
        else
            ImGui::Text("p %.5f", double(t.p));
    }
}

// The numbers of one stage.
void draw_stage_numbers(UiState& ui, LayersView& lv, const Snapshot& snap, const StepTrace& st, int pos,
                        const JourneyStage& s) {
    const core::Model& model = *snap.model;
    const core::Hparams& hp  = model.hp;
    const core::LayerTrip* t = lv.trip && lv.trip->pos == pos && lv.trip->layer == s.layer ? lv.trip.get() : nullptr;
    const int head           = std::clamp(ui.sel.head, 0, hp.n_head - 1);
    const int hd             = hp.head_dim;
    const int kvh            = head / std::max(1, hp.n_head / std::max(1, hp.n_head_kv));
    if (s.layer >= 0 && !t) {
        if (!lv.trip_error.empty() && lv.key_pos == pos && lv.key_layer == s.layer)
            disabled_wrapped(lv.trip_error.c_str());
        else
            ImGui::TextDisabled("Recomputing layer %d at position %d …", s.layer, pos);
        return;
    }
    auto span_of = [](const std::vector<float>& v, size_t off, size_t n) {
        return std::span<const float>(v.data() + off, std::min(n, v.size() - std::min(off, v.size())));
    };
    switch (s.kind) {
        case JourneyKind::Token:
            ImGui::PushFont(ui.fonts.title);
            ImGui::Text("%s", token_label(model, st.token).c_str());
            ImGui::PopFont();
            ImGui::Text("id %d at position %d, %s", st.token, pos,
                        std::string(core::kTokenSourceNames[size_t(st.source)]).c_str());
            if (!std::isnan(st.p_token)) ImGui::Text("probability when chosen: %.5f", double(st.p_token));
            break;
        case JourneyKind::Embedding:
            vec_preview(ui, "x = token_embd[id]", lv.emb);
            break;
        case JourneyKind::Position: {
            ImGui::Text("position %d, %s pairing", pos,
                        hp.rope_style == core::RopeStyle::NeoX ? "NeoX (i, i + n_rot/2)" : "adjacent (2i, 2i+1)");
            std::string a;
            char buf[48];
            for (int i = 0; i < std::min<int>(6, int(lv.angles.size())); ++i) {
                std::snprintf(buf, sizeof buf, "%sθ%d = %.4f", i ? "   " : "", i, double(lv.angles[size_t(i)]));
                a += buf;
            }
            ImGui::PushFont(ui.fonts.mono);
            ImGui::TextUnformatted(a.c_str());
            ImGui::PopFont();
            if (!lv.angles.empty())
                ImGui::TextDisabled("slowest pair: θ%d = %.6f rad", int(lv.angles.size()) - 1,
                                    double(lv.angles.back()));
            vec_preview(ui, "angles (rad)", lv.angles);
            break;
        }
        case JourneyKind::AttnNorm:
            vec_preview(ui, s.layer == 0 ? "x in (embedding)" : "x in (previous layer's output)", t->x_in);
            ImGui::Text("RMS = √(mean(x²) + ε) = %.5f", double(t->rms_in));
            vec_preview(ui, "xb = x / RMS · attn_norm", t->xb);
            break;
        case JourneyKind::Qkv:
            ImGui::Text("head %d (kv head %d)", head, kvh);
            vec_preview(ui, "q before RoPE", span_of(t->q_pre, size_t(head) * size_t(hd), size_t(hd)));
            vec_preview(ui, "q after RoPE", span_of(t->q, size_t(head) * size_t(hd), size_t(hd)));
            vec_preview(ui, "k after RoPE", span_of(t->k, size_t(kvh) * size_t(hd), size_t(hd)));
            vec_preview(ui, "v", span_of(t->v, size_t(kvh) * size_t(hd), size_t(hd)));
            if (!std::isnan(t->q_max_diff))
                ImGui::TextDisabled("recomputed q vs the forward pass's recorded q: max |Δ| = %.3g",
                                    double(t->q_max_diff));
            break;
        case JourneyKind::Scores:
        case JourneyKind::Softmax: {
            const bool probs = s.kind == JourneyKind::Softmax;
            const auto row = span_of(probs ? t->probs : t->scores, size_t(head) * size_t(t->n_keys), size_t(t->n_keys));
            const float mx = *std::max_element(row.begin(), row.end());
            if (probs) {
                double sum = 0;
                for (float p : row) sum += p;
                const auto srow = span_of(t->scores, size_t(head) * size_t(t->n_keys), size_t(t->n_keys));
                ImGui::Text("head %d: max score %.4f subtracted, Σ weights = %.6f, largest weight %.4f", head,
                            double(*std::max_element(srow.begin(), srow.end())), sum, double(mx));
            } else {
                ImGui::Text("head %d: %d keys (0 … %d), √head_dim = %.3f, max %.4f", head, t->n_keys, pos,
                            std::sqrt(double(hd)), double(mx));
            }
            key_bars(ui, snap, probs ? "probs" : "scores", row, probs, 150.0f);
            break;
        }
        case JourneyKind::WeightedSum:
            ImGui::Text("head %d: out = Σ_j p_j · v_j over %d keys", head, t->n_keys);
            vec_preview(ui, "head output", span_of(t->att, size_t(head) * size_t(hd), size_t(hd)));
            break;
        case JourneyKind::HeadsCombined:
            vec_preview(ui, "heads side by side", t->att);
            vec_preview(ui, "wo · heads", t->attn_out);
            break;
        case JourneyKind::ResidAttn:
            vec_preview(ui, "x + attention", t->resid_attn);
            ImGui::TextDisabled("recorded ‖x‖ after attention: %.4f",
                                double(st.layers[size_t(s.layer)].resid_norm_attn));
            break;
        case JourneyKind::FfnNorm:
            ImGui::Text("RMS = %.5f", double(t->rms_attn));
            vec_preview(ui, "xb = x / RMS · ffn_norm", t->xb2);
            break;
        case JourneyKind::Mlp: {
            int active = 0;
            for (float h : t->hidden) active += h > 0 ? 1 : 0;
            vec_preview(ui, "silu(gate) ⊙ up", t->hidden);
            ImGui::TextDisabled("%d of %d hidden units positive (%.1f%%)", active, int(t->hidden.size()),
                                100.0 * active / std::max<size_t>(1, t->hidden.size()));
            vec_preview(ui, "w_down · hidden", t->mlp_out);
            break;
        }
        case JourneyKind::ResidFfn:
            vec_preview(ui, "layer output x + MLP", t->resid_ffn);
            ImGui::TextDisabled("recorded ‖x‖: %.4f", double(st.layers[size_t(s.layer)].resid_norm_ffn));
            if (!std::isnan(t->resid_max_diff))
                ImGui::TextDisabled("recomputed vs the recorded residual stream: max |Δ| = %.3g",
                                    double(t->resid_max_diff));
            break;
        case JourneyKind::FinalNorm:
            if (lv.final_norm.empty())
                disabled_wrapped("No recorded residual stream at this position (recording off or dropped).");
            else
                vec_preview(ui, "RMSNorm(x) · output_norm", lv.final_norm);
            break;
        case JourneyKind::Logits:
        case JourneyKind::Probs: {
            const core::Derived* d = current_derived(ui, snap);
            if (st.has_next && !st.sampler.stages.empty()) {
                const auto& raw = st.sampler.stages.front();
                if (s.kind == JourneyKind::Probs)
                    ImGui::Text("entropy %.4f nats = %.4f bits", double(raw.entropy),
                                double(nats_to_bits(raw.entropy)));
                top_tokens(ui, model, raw.top, 8, s.kind == JourneyKind::Logits);
            } else if (d && d->has_lens && !d->lens.empty() && d->lens_pos == pos) {
                ImGui::TextDisabled("(from the logit lens of the last layer: the model's own logits here)");
                top_tokens(ui, model, d->lens.back().top, 8, s.kind == JourneyKind::Logits);
            } else {
                ImGui::TextDisabled("Deriving the logits of this prompt position …");
            }
            break;
        }
        case JourneyKind::Sampler:
            if (!st.has_next) {
                disabled_wrapped("Inside the prompt the next token is given, nothing is sampled.");
                break;
            }
            for (const auto& sv : st.sampler.stages)
                ImGui::Text("%-12s kept %6d   entropy %.3f bits", stage_title(sv.kind), sv.n_kept,
                            double(nats_to_bits(sv.entropy)));
            ImGui::Text("drew u = %.4f → ", double(st.sampler.draw_u));
            ImGui::SameLine();
            ImGui::PushFont(ui.fonts.mono);
            ImGui::TextUnformatted(token_label(model, st.next_token).c_str());
            ImGui::PopFont();
            ImGui::SameLine();
            ImGui::Text("(p = %.4f)", double(st.next_p));
            break;
        case JourneyKind::Appended:
            if (pos + 1 < int(snap.steps.size())) {
                const StepTrace& nx = *snap.steps[size_t(pos) + 1];
                ImGui::Text("position %d holds", pos + 1);
                ImGui::SameLine();
                ImGui::PushFont(ui.fonts.mono);
                ImGui::TextUnformatted(token_label(model, nx.token).c_str());
                ImGui::PopFont();
                ImGui::SameLine();
                ImGui::Text("(%s)", std::string(core::kTokenSourceNames[size_t(nx.source)]).c_str());
            } else if (st.has_next) {
                ImGui::Text("proposed next:");
                ImGui::SameLine();
                ImGui::PushFont(ui.fonts.mono);
                ImGui::TextUnformatted(token_label(model, st.next_token).c_str());
                ImGui::PopFont();
                ImGui::TextDisabled("Press Step (→) to append it and run the next forward pass.");
            }
            break;
        case JourneyKind::kCount:
            break;
    }
}

// ‖x‖ after each half of every layer at the position (the embedding at x = 0).
void draw_norm_plot(const LayersView& lv, const StepTrace& st, int cur_layer, float width, float height) {
    const int n = int(st.layers.size());
    float hi    = l2_norm(lv.emb);
    for (const auto& l : st.layers) hi = std::max({hi, l.resid_norm_attn, l.resid_norm_ffn});
    PlotAxes ax;
    ax.x_label              = "layer (0 = embedding; half steps: after attention)";
    ax.y_label              = "residual stream ‖x‖";
    ax.x_max                = std::max(1, n);
    ax.x_ticks              = std::min(std::max(1, n), 8);
    ax.y_max                = std::max(1e-3, double(hi) * 1.1);
    ax.y_fmt                = "%.1f";
    PlotFrame f             = begin_plot("norms", ImVec2(width, height), ax);
    std::vector<ImVec2> pts = {f.to_screen(0, double(l2_norm(lv.emb)))};
    for (int l = 0; l < n; ++l) {
        pts.push_back(f.to_screen(l + 0.5, double(st.layers[size_t(l)].resid_norm_attn)));
        pts.push_back(f.to_screen(l + 1.0, double(st.layers[size_t(l)].resid_norm_ffn)));
    }
    if (cur_layer >= 0) {
        const float x0 = f.to_screen(cur_layer, 0).x, x1 = f.to_screen(cur_layer + 1, 0).x;
        f.dl->AddRectFilled(ImVec2(x0, f.p0.y), ImVec2(x1, f.p1.y), IM_COL32(240, 228, 66, 40));
    }
    f.dl->AddPolyline(pts.data(), int(pts.size()), plot_colors::kBlue, 0, 2.0f);
    for (const ImVec2& p : pts) f.dl->AddCircleFilled(p, 2.5f, plot_colors::kBlue);
    if (f.hovered) {
        const double x = f.x_from_screen(f.mouse.x);
        const int i    = std::clamp(int(std::lround(x * 2)), 0, int(pts.size()) - 1);
        if (i == 0) {
            ImGui::SetTooltip("embedding: ‖x‖ = %.4f", double(l2_norm(lv.emb)));
        } else {
            const int l     = (i - 1) / 2;
            const bool attn = i % 2 == 1;
            const auto& ls  = st.layers[size_t(l)];
            ImGui::SetTooltip("layer %d, after %s: ‖x‖ = %.4f", l, attn ? "attention" : "the MLP",
                              double(attn ? ls.resid_norm_attn : ls.resid_norm_ffn));
        }
    }
}

void draw_lens(UiState& ui, const Snapshot& snap, int pos) {
    const core::Derived* d = current_derived(ui, snap);
    ImGui::TextUnformatted("Logit lens");
    item_tooltip(
        "What the model would predict if the residual stream stopped after each layer: the final norm and "
        "the output matrix applied to that layer's output.");
    if (!d || !d->has_lens || d->lens_pos != pos) {
        ImGui::TextDisabled("%s", d && !d->error.empty() ? d->error.c_str() : "deriving …");
        return;
    }
    const ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_ScrollY |
                                  ImGuiTableFlags_SizingStretchSame;
    if (!ImGui::BeginTable("lens", 4, flags, ImVec2(0, ImGui::GetContentRegionAvail().y))) return;
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("layer", ImGuiTableColumnFlags_WidthFixed, ImGui::GetFontSize() * 3.0f);
    ImGui::TableSetupColumn("1st");
    ImGui::TableSetupColumn("2nd");
    ImGui::TableSetupColumn("3rd");
    ImGui::TableHeadersRow();
    for (const auto& L : d->lens) {
        ImGui::TableNextRow();
        ImGui::TableSetColumnIndex(0);
        ImGui::Text("%d", L.layer);
        for (int c = 0; c < 3 && c < int(L.top.size()); ++c) {
            ImGui::TableSetColumnIndex(c + 1);
            ImGui::PushFont(ui.fonts.mono);
            ImGui::Text("%s", token_label(*snap.model, L.top[size_t(c)].id).c_str());
            ImGui::PopFont();
            ImGui::SameLine();
            ImGui::TextDisabled("%.3f", double(L.top[size_t(c)].p));
        }
    }
    ImGui::EndTable();
}

}  // namespace

void draw_layers_panel(UiState& ui, const core::Snapshot& snap) {
    if (!ui.views.layers) ui.views.layers = std::make_shared<LayersView>();
    LayersView& lv      = *ui.views.layers;
    const StepTrace* st = selected_step(ui, snap);
    const int pos       = selected_pos(ui, snap);
    if (!snap.model || !st) {
        disabled_wrapped(
            "Nothing evaluated yet: type a prompt and press Step (→), then follow a token through the "
            "model here.");
        return;
    }
    const core::Hparams& hp                = snap.model->hp;
    const std::vector<JourneyStage> stages = journey_stages(hp.n_layer);
    lv.stage                               = std::clamp(lv.stage, 0, int(stages.size()) - 1);
    if (lv.tok_state != snap.state || lv.tok_pos != pos) {
        lv.tok_state  = snap.state;
        lv.tok_pos    = pos;
        lv.emb        = core::embedding_row(*snap.model, st->token);
        lv.angles     = core::rope_thetas_at(hp, pos);
        lv.final_norm = core::final_norm_of(*snap.model, *st);
    }

    section_heading(ui, "Journey of one token");
    auto go = [&](int to) {
        to = std::clamp(to, 0, int(stages.size()) - 1);
        if (to == lv.stage) return;
        lv.stage       = to;
        lv.scroll_list = true;
        const int l    = stages[size_t(to)].layer;
        if (l >= 0 && l != ui.sel.layer) select_layer_head(ui, l, ui.sel.head);
    };
    if (ImGui::Button("◀ Previous")) go(lv.stage - 1);
    item_tooltip("Go back one stage of the forward pass.");
    ImGui::SameLine();
    if (ImGui::Button("Next ▶")) go(lv.stage + 1);
    item_tooltip("Follow the token to the next stage of the forward pass.");
    ImGui::SameLine();
    ImGui::Text("stage %d of %d", lv.stage + 1, int(stages.size()));
    ImGui::SameLine();
    int jump = std::max(0, stages[size_t(lv.stage)].layer);
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 10.0f);
    if (ImGui::SliderInt("layer", &jump, 0, hp.n_layer - 1)) go(journey_layer_start(jump));
    item_tooltip("Jump to the start of a layer; the Attention and Q·K panels follow the same layer.");

    const JourneyStage& cur = stages[size_t(lv.stage)];
    update_trip(lv, snap, pos, cur.layer);

    const float bottom_h = std::max(150.0f, ImGui::GetContentRegionAvail().y * 0.36f);
    const float list_w   = ImGui::GetFontSize() * 16.5f;
    ImGui::BeginChild("itinerary", ImVec2(list_w, -bottom_h), true);
    ImGuiListClipper clip;
    clip.Begin(int(stages.size()));
    if (lv.scroll_list) clip.ForceDisplayRangeByIndices(lv.stage, lv.stage + 1);
    while (clip.Step()) {
        for (int i = clip.DisplayStart; i < clip.DisplayEnd; ++i) {
            const JourneyStage& s = stages[size_t(i)];
            char label[96];
            if (s.layer >= 0)
                std::snprintf(label, sizeof label, "L%d · %s##%d", s.layer, journey_title(s.kind), i);
            else
                std::snprintf(label, sizeof label, "%s##%d", journey_title(s.kind), i);
            if (ImGui::Selectable(label, i == lv.stage)) go(i);
            item_tooltip("Jump to this stage of the forward pass (Next / Previous step through them in order).");
            if (i == lv.stage && lv.scroll_list) {
                ImGui::SetScrollHereY(0.4f);
                lv.scroll_list = false;
            }
        }
    }
    ImGui::EndChild();
    ImGui::SameLine();
    ImGui::BeginChild("stage", ImVec2(0, -bottom_h), true);
    ImGui::PushFont(ui.fonts.title);
    if (cur.layer >= 0)
        ImGui::Text("Layer %d: %s", cur.layer, journey_title(cur.kind));
    else
        ImGui::TextUnformatted(journey_title(cur.kind));
    ImGui::PopFont();
    ImGui::PushFont(ui.fonts.mono);
    ImGui::TextDisabled("%s", journey_shape(cur.kind, hp, pos + 1).c_str());
    ImGui::PopFont();
    ImGui::PushTextWrapPos(0.0f);
    ImGui::TextUnformatted(journey_explain(cur.kind));
    ImGui::PopTextWrapPos();
    ImGui::Separator();
    draw_stage_numbers(ui, lv, snap, *st, pos, cur);
    ImGui::EndChild();

    const float half = (ImGui::GetContentRegionAvail().x - ImGui::GetStyle().ItemSpacing.x) * 0.5f;
    draw_norm_plot(lv, *st, cur.layer, half, bottom_h - ImGui::GetStyle().ItemSpacing.y);
    ImGui::SameLine();
    ImGui::BeginChild("lens_box", ImVec2(0, bottom_h - ImGui::GetStyle().ItemSpacing.y));
    draw_lens(ui, snap, pos);
    ImGui::EndChild();
}

}  // namespace ts::app
