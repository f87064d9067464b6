// The Journey panel (`layers`): the selected token's trip through one forward pass as an itinerary a learner steps
// through with Next / Previous — token id → the architecture's stages before the layers → its block for each
// layer → the stages after them → softmax → sampler → appended token — each stage with the running model's shapes
// and real numbers. The stages come from the architecture's description (core/model/stage.hpp); the numbers are
// the engine's own: the worker replays the position against its KV cache (core/trace/journey.hpp) and the panel
// only draws Snapshot::derived->journey. Below: the residual-stream norm per layer and the logit lens.
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

#include "app/ui/panels.hpp"
#include "app/ui/plot_frame.hpp"
#include "app/ui/view_journey.hpp"
#include "app/ui/view_sampling.hpp"
#include "app/ui/widgets.hpp"
#include "core/trace/derive.hpp"

namespace ts::app {

namespace {

using core::Snapshot;
using core::Stage;
using core::StepTrace;

// The replayed position, when the worker has delivered the one on screen.
const core::Journey* journey_of(UiState& ui, const Snapshot& snap, int pos) {
    const core::Derived* d = current_derived(ui, snap);
    return d && d->journey && d->journey->pos == pos ? d->journey.get() : nullptr;
}

// "name  ‖v‖ = …  [v0, v1, …]" and a bar sparkline of the first values (hover: index and value). The norm only
// where it means something (a vector of the model's space, not a list of cosines).
void vec_preview(const UiState& ui, const char* name, std::span<const float> v, int n_show = 8, bool norm = true) {
    ImGui::Text("%s", name);
    ImGui::SameLine();
    if (norm) {
        ImGui::TextDisabled("‖·‖ = %.4f", double(l2_norm(v)));
        ImGui::SameLine();
    }
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

// The numbers of one model stage: how each is drawn follows its shape, with a few stage-specific lines.
void draw_model_stage(UiState& ui, const Snapshot& snap, const StepTrace& st, const core::Journey& j,
                      const JourneyStage& s) {
    const core::Hparams& hp    = snap.model->hp;
    const core::Stage id       = s.desc->id;
    const core::StageTensor* t = j.find(id, s.layer);
    if (!t) {
        ImGui::TextDisabled("(not computed at this position)");
        return;
    }
    const int head              = std::clamp(ui.sel.head, 0, hp.n_head - 1);
    const int n_head_kv         = s.layer >= 0 ? hp.n_head_kv_of(s.layer) : hp.n_head_kv;  // gemma4's differ
    const int kvh               = head / std::max(1, hp.n_head / std::max(1, n_head_kv));
    const core::JourneyLayer* L = s.layer >= 0 ? &j.layers[size_t(s.layer)] : nullptr;
    const int pos               = j.pos;
    if (hp.is_moe() && draw_moe_stage(ui, j, id, s.layer)) return;  // the chosen experts (panel_experts.cpp)
    switch (id) {
        case Stage::Rope:
        case Stage::RopeLocal: {  // gemma3: the sliding-window layers rotate with a base of their own
            const bool local = id == Stage::RopeLocal;
            ImGui::Text("position %d, %s pairing, base %g%s", pos,
                        hp.rope_style == core::RopeStyle::NeoX ? "NeoX (i, i + n_rot/2)" : "adjacent (2i, 2i+1)",
                        double(local ? hp.rope_freq_base_swa : hp.rope_freq_base),
                        local ? " (the sliding-window layers')" : "");
            const std::vector<float> angles = core::derive::rope_thetas_at(hp, pos, local);
            std::string a;
            char buf[48];
            // Angles as the rotation sees them: reduced to [0, 2π) (whole turns change nothing), in radians.
            constexpr double kTurn = 6.283185307179586;
            auto reduced           = [&](float theta) { return std::fmod(double(theta), kTurn); };
            for (int i = 0; i < std::min<int>(6, int(angles.size())); ++i) {
                std::snprintf(buf, sizeof buf, "%sθ%d = %.4f", i ? "   " : "", i, reduced(angles[size_t(i)]));
                a += buf;
            }
            ImGui::PushFont(ui.fonts.mono);
            ImGui::TextUnformatted(a.c_str());
            ImGui::PopFont();
            item_tooltip(
                "Each pair of coordinates is rotated by its angle θ_i = position × base^(−2i/n_rot), shown "
                "reduced to [0, 2π): whole turns change nothing. Fast pairs (small i) spin many times over a "
                "text; slow ones barely move, so the model can read both near and far distances.");
            if (!angles.empty())
                ImGui::TextDisabled("fastest pair: %.1f full turns so far · slowest pair: θ%d = %.6f rad",
                                    double(angles.front()) / kTurn, int(angles.size()) - 1, reduced(angles.back()));
            if (!hp.rope_freq_factors.empty())
                ImGui::TextDisabled("each angle is divided by its pair's factor from rope_freqs.weight (Llama 3)");
            vec_preview(ui, "cos θ", t->row(0), 8, false);
            vec_preview(ui, "sin θ", t->row(1), 8, false);
            return;
        }
        case Stage::AttnNorm:
        case Stage::FfnNorm: {
            const bool attn              = id == Stage::AttnNorm;
            const core::ArchDesc& arch_d = core::arch_desc(hp);
            const core::StageTensor* x =
                attn ? (s.layer == 0 ? j.find(arch_d.layer_input, -1) : j.find(Stage::ResidFfn, s.layer - 1))
                     : j.find(Stage::ResidAttn, s.layer);
            if (x)
                vec_preview(ui, attn ? (s.layer == 0 ? "x in (embedding)" : "x in (previous layer's output)") : "x in",
                            x->all());
            const float div = attn ? L->rms_attn_in : L->rms_ffn_in;
            if (arch_d.norm == core::NormKind::Layer) {  // LayerNorm centres first, then divides, then adds a bias
                ImGui::Text("mean = %.5f,  σ = √(mean((x − mean)²) + ε) = %.5f",
                            double(attn ? L->mean_attn_in : L->mean_ffn_in), double(div));
                vec_preview(ui, "(x − mean) / σ · weight + bias", t->all());
            } else {
                ImGui::Text("RMS = √(mean(x²) + ε) = %.5f", double(div));
                vec_preview(ui, "x / RMS · weight", t->all());
            }
            return;
        }
        case Stage::QProj:
        case Stage::QNorm:
        case Stage::Q:
        case Stage::AttnOut:
            ImGui::Text("head %d of %d", head, hp.n_head);
            vec_preview(ui, std::string(core::stage_key(id)).c_str(), t->row(head));
            // The queries the scores read: after RoPE, or the projection itself where there is no RoPE (gpt2).
            if (id == core::arch_desc(hp).query && !std::isnan(L->q_max_diff))
                ImGui::TextDisabled(
                    "replayed q vs the q recorded when the position was first evaluated: max |Δ| = %.3g",
                    double(L->q_max_diff));
            return;
        case Stage::KProj:
        case Stage::KNorm:
        case Stage::K:
        case Stage::V:
            ImGui::Text("kv head %d (read by query head %d)", kvh, head);
            vec_preview(ui, std::string(core::stage_key(id)).c_str(), t->row(kvh));
            return;
        case Stage::AttnScores:
        case Stage::AttnProbs: {
            const bool probs = id == Stage::AttnProbs;
            const auto row   = t->row(head);
            const float mx   = *std::max_element(row.begin(), row.end());
            if (probs) {
                double sum = 0;
                for (float p : row) sum += p;
                ImGui::Text("head %d: Σ weights = %.6f, largest weight %.4f", head, sum, double(mx));
            } else {
                ImGui::Text("head %d: %d keys (0 … %d), √head_dim = %.3f, max %.4f", head, j.n_keys, pos,
                            std::sqrt(double(hp.head_dim_of(std::max(s.layer, 0)))), double(mx));
            }
            key_bars(ui, snap, probs ? "probs" : "scores", row, probs, 150.0f);
            return;
        }
        case Stage::FfnAct: {
            int active = 0;
            for (float h : t->data) active += h > 0 ? 1 : 0;
            // A gated MLP (SwiGLU) or one without a gate (gpt2's GELU of the up projection).
            const bool gated = core::find_stage(core::arch_desc(hp), Stage::FfnGate) != nullptr;
            vec_preview(ui, gated ? "silu(gate) ⊙ up" : "GELU(up)", t->all());
            ImGui::TextDisabled("%d of %d hidden units positive (%.1f%%)", active, int(t->data.size()),
                                100.0 * active / std::max<size_t>(1, t->data.size()));
            return;
        }
        case Stage::ResidAttn:
        case Stage::ResidFfn: {
            const bool ffn = id == Stage::ResidFfn;
            vec_preview(ui, ffn ? "layer output x + MLP" : "x + attention", t->all());
            const core::LayerStep& ls = st.layers[size_t(s.layer)];
            ImGui::TextDisabled("recorded ‖x‖: %.4f", double(ffn ? ls.resid_norm_ffn : ls.resid_norm_attn));
            if (ffn && !std::isnan(L->resid_max_diff))
                ImGui::TextDisabled("replayed vs the recorded residual stream: max |Δ| = %.3g",
                                    double(L->resid_max_diff));
            return;
        }
        case Stage::Logits:
            if (st.has_next && !st.sampler.stages.empty()) {
                top_tokens(ui, *snap.model, st.sampler.stages.front().top, 8, true);
            } else if (const core::Derived* d = current_derived(ui, snap);
                       d && d->has_lens && !d->lens.empty() && d->lens_pos == pos) {
                ImGui::TextDisabled("(from the logit lens of the last layer: the model's own logits here)");
                top_tokens(ui, *snap.model, d->lens.back().top, 8, true);
            }
            vec_preview(ui, "logits", t->all());
            return;
        default:
            vec_preview(ui, std::string(core::stage_key(id)).c_str(), t->all());
            return;
    }
}

// The numbers of one stage.
void draw_stage_numbers(UiState& ui, const Snapshot& snap, const StepTrace& st, int pos, const JourneyStage& s) {
    const core::Model& model = *snap.model;
    switch (s.kind) {
        case JourneyKind::Token:
            ImGui::PushFont(ui.fonts.title);
            ImGui::Text("%s", token_label(model, st.token).c_str());
            ImGui::PopFont();
            ImGui::Text("id %d at position %d, %s", st.token, pos,
                        std::string(core::kTokenSourceNames[size_t(st.source)]).c_str());
            if (!std::isnan(st.p_token)) ImGui::Text("probability when chosen: %.5f", double(st.p_token));
            break;
        case JourneyKind::Model: {
            const core::Journey* j = journey_of(ui, snap, pos);
            if (j) {
                draw_model_stage(ui, snap, st, *j, s);
            } else {
                const core::Derived* d = current_derived(ui, snap);
                if (d && !d->error.empty() && d->query_pos == pos)
                    disabled_wrapped(d->error.c_str());
                else
                    ImGui::TextDisabled("Replaying position %d through the model …", pos);
            }
            break;
        }
        case JourneyKind::Probs: {
            const core::Derived* d = current_derived(ui, snap);
            if (st.has_next && !st.sampler.stages.empty()) {
                const auto& raw = st.sampler.stages.front();
                ImGui::Text("entropy %.4f bits", double(nats_to_bits(raw.entropy)));
                top_tokens(ui, model, raw.top, 8, false);
            } else if (d && d->has_lens && !d->lens.empty() && d->lens_pos == pos) {
                ImGui::TextDisabled("(from the logit lens of the last layer: the model's own logits here)");
                top_tokens(ui, model, d->lens.back().top, 8, false);
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
            // One table, so the stage names, counts and entropies line up in columns whatever the font.
            if (ImGui::BeginTable(
                    "sampler_stages", 4,
                    ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_RowBg | ImGuiTableFlags_NoHostExtendX)) {
                ImGui::TableSetupColumn("stage");
                ImGui::TableSetupColumn("kept");
                ImGui::TableSetupColumn("mass kept (of the previous stage)");
                ImGui::TableSetupColumn("entropy (bits)");
                ImGui::TableHeadersRow();
                for (const auto& sv : st.sampler.stages) {
                    ImGui::TableNextRow();
                    ImGui::TableNextColumn();
                    ImGui::TextUnformatted(stage_title(sv.kind));
                    ImGui::TableNextColumn();
                    ImGui::Text("%d", sv.n_kept);
                    ImGui::TableNextColumn();
                    ImGui::Text("%.2f%%", 100.0 * double(sv.mass_kept));
                    ImGui::TableNextColumn();
                    ImGui::Text("%.3f", double(nats_to_bits(sv.entropy)));
                }
                ImGui::EndTable();
            }
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
                if (snap.context_full)
                    ImGui::TextDisabled("The context is full: nothing more can be appended (raise -c, or rewind).");
                else
                    ImGui::TextDisabled("Press Step (→) to append it and run the next forward pass.");
            }
            break;
    }
}

// ‖x‖ after each half of every layer at the position (the embedding at x = 0).
void draw_norm_plot(float emb_norm, const StepTrace& st, int cur_layer, float width, float height) {
    const int n = int(st.layers.size());
    float hi    = emb_norm;
    for (const auto& l : st.layers) hi = std::max({hi, l.resid_norm_attn, l.resid_norm_ffn});
    PlotAxes ax;
    ax.x_label              = "x = 0: the embedding; x = L + 1: after layer L (L + ½: after its attention)";
    ax.y_label              = "residual stream ‖x‖";
    ax.x_max                = std::max(1, n);
    ax.x_ticks              = std::min(std::max(1, n), 8);
    ax.y_max                = std::max(1e-3, double(hi) * 1.1);
    ax.y_fmt                = "%.1f";
    PlotFrame f             = begin_plot("norms", ImVec2(width, height), ax);
    std::vector<ImVec2> pts = {f.to_screen(0, double(emb_norm))};
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
            ImGui::SetTooltip("embedding: ‖x‖ = %.4f", double(emb_norm));
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
        "the output matrix applied to that layer's output. The first row is the embedding, before any layer; "
        "the last row is the model's own prediction. In the plot beside it, after layer L is at x = L + 1.");
    if (!d || !d->has_lens || d->lens_pos != pos) {
        ImGui::TextDisabled("%s", d && !d->error.empty() ? d->error.c_str() : "deriving …");
        return;
    }
    const ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_ScrollY |
                                  ImGuiTableFlags_SizingStretchSame;
    if (!ImGui::BeginTable("lens", 4, flags, ImVec2(0, ImGui::GetContentRegionAvail().y))) return;
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("after", ImGuiTableColumnFlags_WidthFixed, ImGui::GetFontSize() * 5.0f);
    ImGui::TableSetupColumn("1st");
    ImGui::TableSetupColumn("2nd");
    ImGui::TableSetupColumn("3rd");
    ImGui::TableHeadersRow();
    for (const auto& L : d->lens) {
        ImGui::TableNextRow();
        ImGui::TableSetColumnIndex(0);
        if (L.layer < 0) {
            ImGui::TextUnformatted("embedding");
            item_tooltip(
                "The input of layer 0, read as if it were the last layer's output: what the embedding "
                "alone predicts (for many models: the token itself, or a token that often follows it).");
        } else {
            ImGui::Text("layer %d", L.layer);
        }
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
    const core::ArchDesc& arch             = core::arch_desc(hp);
    const std::vector<JourneyStage> stages = journey_stages(arch, hp.n_layer, &hp);
    lv.stage                               = std::clamp(lv.stage, 0, int(stages.size()) - 1);
    lv.drawn_frame                         = ui.frame;

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
    if (ImGui::SliderInt("layer", &jump, 0, hp.n_layer - 1)) go(journey_layer_start(stages, jump));
    item_tooltip("Jump to the start of a layer; the Attention and Q·K panels follow the same layer.");

    const JourneyStage& cur = stages[size_t(lv.stage)];

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
                std::snprintf(label, sizeof label, "L%d · %.*s##%d", s.layer, int(journey_title(s).size()),
                              journey_title(s).data(), i);
            else
                std::snprintf(label, sizeof label, "%.*s##%d", int(journey_title(s).size()), journey_title(s).data(),
                              i);
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
        ImGui::Text("Layer %d: %.*s", cur.layer, int(journey_title(cur).size()), journey_title(cur).data());
    else
        ImGui::TextUnformatted(journey_title(cur).data(), journey_title(cur).data() + journey_title(cur).size());
    ImGui::PopFont();
    ImGui::PushFont(ui.fonts.mono);
    ImGui::TextDisabled("%s", journey_shape(cur, hp, pos + 1).c_str());
    ImGui::PopFont();
    ImGui::PushTextWrapPos(0.0f);
    const std::string_view explain = journey_explain(cur);
    ImGui::TextUnformatted(explain.data(), explain.data() + explain.size());
    ImGui::PopTextWrapPos();
    ImGui::Separator();
    draw_stage_numbers(ui, snap, *st, pos, cur);
    ImGui::EndChild();

    const float half             = (ImGui::GetContentRegionAvail().x - ImGui::GetStyle().ItemSpacing.x) * 0.5f;
    const core::Journey* j       = journey_of(ui, snap, pos);
    const core::StageTensor* emb = j ? j->find(core::arch_desc(hp).layer_input, -1) : nullptr;
    draw_norm_plot(emb ? l2_norm(emb->all()) : 0.0f, *st, cur.layer, half, bottom_h - ImGui::GetStyle().ItemSpacing.y);
    ImGui::SameLine();
    ImGui::BeginChild("lens_box", ImVec2(0, bottom_h - ImGui::GetStyle().ItemSpacing.y));
    draw_lens(ui, snap, pos);
    ImGui::EndChild();
}

}  // namespace ts::app
