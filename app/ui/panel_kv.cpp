// The KV cache panel (ARCHITECTURE §6): bytes in total and per layer, capacity against the context
// window, the growth over the positions so far, a layers × positions grid that fills up (one rectangle per layer
// and token kind, not a widget per cell; a recurrent layer's constant state as one block), and the multiply-adds
// of the selected step with the cache against recomputing the whole sequence without it. Series are rebuilt when the
// snapshot's version changes.
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

#include "app/ui/format.hpp"
#include "app/ui/panels.hpp"
#include "app/ui/plot_frame.hpp"
#include "app/ui/view_kv.hpp"
#include "app/ui/view_sampling.hpp"
#include "app/ui/widgets.hpp"

namespace ts::app {

namespace {

void rebuild(KvView& v, const core::Snapshot& snap) {
    v.version       = snap.version;
    v.n_pos         = int(snap.steps.size());
    v.kv            = snap.steps.empty() ? core::KvStats{} : snap.steps.back()->kv;
    v.kv_type       = snap.kv_type;
    v.bytes_per_pos = kv_bytes_per_position(snap.model->hp, core::row_bytes(snap.kv_type, 1));
    v.layers        = kv_layer_rows(snap.model->hp, core::row_bytes(snap.kv_type, 1));
    v.with_cache.resize(size_t(v.n_pos));
    v.without_cache.resize(size_t(v.n_pos));
    for (int p = 0; p < v.n_pos; ++p) {
        v.with_cache[size_t(p)]    = double(step_macs_with_cache(snap.model->hp, p).total());
        v.without_cache[size_t(p)] = double(step_macs_without_cache(snap.model->hp, p).total());
    }
}

void draw_totals(const UiState& ui, const KvView& v, const core::Hparams& hp) {
    const core::KvStats& kv = v.kv;
    char buf[256];
    std::vector<InfoRow> rows;
    rows.push_back({"Positions", std::to_string(kv.n_pos) + " of " + std::to_string(kv.n_ctx),
                    "Tokens whose keys and values are stored, against the context window the cache was sized for."});
    rows.push_back({"Bytes used", format_bytes(kv.bytes_total) + "  (" + format_thousands(kv.bytes_total) + " B)",
                    "K and V of every filled position in every layer."});
    const int n_attn = hp.n_layer - hp.n_recurrent();
    if (hp.has_recurrent()) {  // qwen35: two memories, one growing with the positions, one constant
        rows.back().value = format_bytes(v.bytes_per_pos * uint64_t(kv.n_pos));
        rows.back().help  = "K and V of every filled position in the attention layers (the only ones with a cache).";
        std::snprintf(buf, sizeof buf, "%d linear attention (recurrent state), %d attention (KV cache)",
                      hp.n_recurrent(), n_attn);
        rows.push_back({"Layer kinds", buf,
                        "A linear-attention (gated DeltaNet) layer keeps one fixed-size state per head instead of "
                        "every position's K and V."});
        std::snprintf(buf, sizeof buf, "%s, constant (%d layers × %s)", format_bytes(hp.state_bytes()).c_str(),
                      hp.n_recurrent(), format_bytes(hp.recurrent_floats() * sizeof(float)).c_str());
        rows.push_back({"Recurrent state", buf,
                        "The linear-attention layers' memory: the convolution's last inputs and a d × d matrix per "
                        "head, the same size at every position."});
        for (int n : {4096, 32768}) {
            std::snprintf(buf, sizeof buf, "KV %s + state %s", format_bytes(v.bytes_per_pos * uint64_t(n)).c_str(),
                          format_bytes(hp.state_bytes()).c_str());
            rows.push_back({n == 4096 ? "At 4k tokens" : "At 32k tokens", buf,
                            "The attention layers' cache grows with the positions; the recurrent state does not."});
        }
    } else if (core::kv_layers_differ(hp)) {  // gemma4: each layer its own size, KV-sharing layers none
        std::snprintf(buf, sizeof buf, "%d of %d layers store K and V, each its own size (table below)",
                      kv.n_layers_stored, hp.n_layer);
        rows.push_back({"Per layer", buf,
                        "Layers with larger heads store larger rows; a layer that reads an earlier layer's cache "
                        "stores nothing."});
        for (int n : {4096, 32768})
            rows.push_back({n == 4096 ? "At 4k tokens" : "At 32k tokens", format_bytes(v.bytes_per_pos * uint64_t(n)),
                            "The whole cache at this many positions, each layer at its own size."});
    } else {
        rows.push_back({"Per layer", format_bytes(kv.bytes_per_layer),
                        "Every layer stores the same: its own K and V for each position."});
    }
    if (core::kv_layers_differ(hp) && !hp.has_recurrent())
        std::snprintf(buf, sizeof buf, "%s  = Σ per storing layer: 2 × kv heads × head_dim × %zu B",
                      format_bytes(v.bytes_per_pos).c_str(), core::row_bytes(v.kv_type, 1));
    else
        std::snprintf(buf, sizeof buf, "%s  = 2 (K, V) × %d layers × %d kv heads × %d dims × %zu B (%s)",
                      format_bytes(v.bytes_per_pos).c_str(), n_attn, hp.n_head_kv, hp.head_dim,
                      core::row_bytes(v.kv_type, 1), std::string(core::dtype_name(v.kv_type)).c_str());
    rows.push_back({"Per token", buf, "What one more token adds to the cache."});
    rows.push_back({"Allocated", format_bytes(kv.bytes_capacity),
                    "Reserved up front for the whole context window, so generating never reallocates."});
    info_table(ui, "kv_totals", rows, ImGui::GetFontSize() * 7.0f);
    const float frac = kv.n_ctx > 0 ? float(kv.n_pos) / float(kv.n_ctx) : 0.0f;
    std::snprintf(buf, sizeof buf, "%d / %d positions (%.1f%%)", kv.n_pos, kv.n_ctx, 100.0 * double(frac));
    ImGui::ProgressBar(frac, ImVec2(-1, 0), buf);
    item_tooltip(
        "Capacity against the context window: when it is full, generation stops (the cache is never "
        "wrapped).");
}

// Layers × positions: an attention layer's row is a rectangle for the prompt part and one for the generated part
// (growing with the positions), a recurrent layer's one constant block across the whole width with its size (it does
// not grow); cell lines when the cells are wide enough, the selected position outlined.
void draw_grid(const UiState& ui, KvView& v, const core::Snapshot& snap, int sel_pos, float height) {
    const core::Hparams& hp = snap.model->hp;
    const int n_x           = std::max(1, v.whole_context ? v.kv.n_ctx : std::max(v.n_pos, 1));
    PlotAxes ax;
    ax.x_label       = "position";
    ax.y_label       = "layer";
    ax.x_min         = 0;
    ax.x_max         = n_x;
    ax.y_min         = 0;
    ax.y_max         = hp.n_layer;
    ax.y_ticks       = std::min(hp.n_layer, 4);
    ax.y_fmt         = "%.0f";
    ax.x_ticks       = std::min(n_x, 8);
    PlotFrame f      = begin_plot("kv_grid", ImVec2(ImGui::GetContentRegionAvail().x, height), ax);
    const float cw   = f.width() / float(n_x);
    const float ch   = f.height() / float(std::max(1, hp.n_layer));
    const int n_prom = std::min(snap.n_prompt, v.n_pos);
    v.grid           = kv_grid_rows(hp, v.n_pos, core::row_bytes(v.kv_type, 1));
    const float th   = ImGui::GetTextLineHeight();
    for (const KvGridRow& r : v.grid) {
        const float y0 = f.p0.y + ch * float(hp.n_layer - 1 - r.layer);  // layer 0 at the bottom
        const float y1 = y0 + ch - (ch > 4 ? 1.0f : 0.0f);
        if (r.kind == KvRowKind::State) {  // one block, the same at every position
            f.dl->AddRectFilled(ImVec2(f.p0.x, y0), ImVec2(f.p1.x, y1), IM_COL32(204, 121, 167, 150));
            if (y1 - y0 >= th) {
                char buf[96];
                std::snprintf(buf, sizeof buf, "layer %d: recurrent state %s, constant", r.layer,
                              format_bytes(r.bytes).c_str());
                f.dl->AddText(ImVec2(f.p0.x + 4, (y0 + y1 - th) * 0.5f), IM_COL32(255, 255, 255, 230), buf);
            }
            continue;
        }
        if (!hp.has_own_kv(r.layer)) {  // a KV-sharing layer (gemma4) stores nothing: an outline of what it reads
            if (v.n_pos > 0)
                f.dl->AddRect(ImVec2(f.p0.x, y0), ImVec2(f.p0.x + cw * float(v.n_pos), y1), plot_colors::kBlue);
            continue;
        }
        if (n_prom > 0)
            f.dl->AddRectFilled(ImVec2(f.p0.x, y0), ImVec2(f.p0.x + cw * float(n_prom), y1), plot_colors::kBlue);
        if (v.n_pos > n_prom)
            f.dl->AddRectFilled(ImVec2(f.p0.x + cw * float(n_prom), y0), ImVec2(f.p0.x + cw * float(v.n_pos), y1),
                                plot_colors::kOrange);
    }
    if (cw >= 4.0f)
        for (const KvGridRow& r : v.grid) {
            if (r.kind == KvRowKind::State) continue;
            const float y0 = f.p0.y + ch * float(hp.n_layer - 1 - r.layer);
            for (int p = 1; p < std::min(n_x, v.n_pos + 1); ++p)
                f.dl->AddLine(ImVec2(f.p0.x + cw * float(p), y0), ImVec2(f.p0.x + cw * float(p), y0 + ch),
                              ImGui::GetColorU32(ImGuiCol_WindowBg));
        }
    if (sel_pos >= 0 && sel_pos < n_x)
        f.dl->AddRect(ImVec2(f.p0.x + cw * float(sel_pos), f.p0.y), ImVec2(f.p0.x + cw * float(sel_pos + 1), f.p1.y),
                      plot_colors::kYellow, 0.0f, 0, 2.0f);
    if (f.hovered) {
        const int p = std::clamp(int((f.mouse.x - f.p0.x) / cw), 0, n_x - 1);
        const int l = std::clamp(hp.n_layer - 1 - int((f.mouse.y - f.p0.y) / ch), 0, hp.n_layer - 1);
        ImGui::BeginTooltip();
        if (hp.is_recurrent(l)) {
            ImGui::Text("layer %d: linear attention (recurrent state)", l);
            ImGui::Text(
                "%s, the same at every position: the convolution's last %d inputs (%s) and %d heads' %d × %d "
                "state (%s), f32",
                format_bytes(hp.recurrent_floats() * sizeof(float)).c_str(), hp.ssm_d_conv - 1,
                format_bytes(hp.conv_state_floats() * sizeof(float)).c_str(), hp.ssm_dt_rank, hp.ssm_d_state,
                hp.ssm_head_v(), format_bytes(hp.ssm_state_floats() * sizeof(float)).c_str());
            ImGui::TextDisabled("Each token updates it in place; no position is stored.");
        } else if (p < v.n_pos) {
            ImGui::Text("layer %d, position %d", l, p);
            ImGui::SameLine();
            ImGui::PushFont(ui.fonts.mono);
            ImGui::TextUnformatted(token_label(*snap.model, snap.steps[size_t(p)]->token).c_str());
            ImGui::PopFont();
            if (hp.kv_cache_dim(l) > 0 || hp.is_recurrent(l))
                ImGui::Text("K and V: 2 × %d floats, %s in this layer (%s)", hp.kv_cache_dim(l),
                            format_bytes(v.layers[size_t(l)].bytes_per_pos).c_str(),
                            p < n_prom ? "prompt" : "generated");
            else  // gemma4's KV-sharing layers: an outline, no storage
                ImGui::Text("reads layer %d's K and V: nothing stored in this layer", hp.kv_source(l));
        } else {
            ImGui::Text("layer %d, position %d: empty (reserved)", l, p);
        }
        ImGui::EndTooltip();
    }
}

// Cumulative bytes (left) and multiply-adds per step with and without the cache (right, log or linear scale).
void draw_growth(const KvView& v, int sel_pos, float width, float height) {
    const int n_x = std::max(1, v.whole_context ? v.kv.n_ctx : v.n_pos);
    {
        PlotAxes ax;
        ax.x_label         = "position";
        ax.y_label         = "KV cache bytes (KiB)";
        ax.x_max           = std::max(1, n_x - 1);
        const double max_b = double(v.bytes_per_pos) * double(v.whole_context ? v.kv.n_ctx : v.n_pos) / 1024.0;
        ax.y_max           = std::max(1e-3, max_b * 1.05);
        ax.y_fmt           = ax.y_max < 10 ? "%.2f" : "%.0f";
        ax.x_ticks         = std::min(n_x, 6);
        PlotFrame f        = begin_plot("kv_growth", ImVec2(width, height), ax);
        std::vector<ImVec2> pts;
        for (int p = 0; p < v.n_pos; ++p) pts.push_back(f.to_screen(p, double(v.bytes_per_pos) * (p + 1) / 1024.0));
        if (pts.size() >= 2) f.dl->AddPolyline(pts.data(), int(pts.size()), plot_colors::kBlue, 0, 2.0f);
        if (!pts.empty()) f.dl->AddCircleFilled(pts.back(), 3.5f, plot_colors::kBlue);
        if (f.hovered && v.n_pos > 0) {
            const int p = std::clamp(int(std::lround(f.x_from_screen(f.mouse.x))), 0, v.n_pos - 1);
            ImGui::SetTooltip("after position %d: %s in the cache", p,
                              format_bytes(v.bytes_per_pos * uint64_t(p + 1)).c_str());
        }
    }
    ImGui::SameLine();
    {
        PlotAxes ax;
        ax.x_label = "position of the new token";
        ax.y_label = v.macs_log ? "multiply-adds per step (log)" : "multiply-adds per step";
        ax.x_max   = std::max(1, n_x - 1);
        double hi  = 1;
        for (double x : v.without_cache) hi = std::max(hi, x);
        double lo = hi;
        for (double x : v.with_cache) lo = std::min(lo, x);
        ax.y_fmt = "%.0e";
        if (v.macs_log) {
            ax.y_log   = true;
            ax.y_min   = std::pow(10.0, std::floor(std::log10(std::max(lo, 1.0))));
            ax.y_max   = std::pow(10.0, std::ceil(std::log10(hi * 1.01)));
            ax.y_ticks = std::max(1, int(std::lround(std::log10(ax.y_max / ax.y_min))));
        } else {
            ax.y_min   = 0;
            ax.y_max   = hi * 1.05;
            ax.y_ticks = 4;
        }
        ax.x_ticks  = std::min(n_x, 6);
        PlotFrame f = begin_plot("kv_macs", ImVec2(ImGui::GetContentRegionAvail().x, height), ax);
        std::vector<ImVec2> a, b;
        for (int p = 0; p < v.n_pos; ++p) {
            a.push_back(f.to_screen(p, v.with_cache[size_t(p)]));
            b.push_back(f.to_screen(p, v.without_cache[size_t(p)]));
        }
        if (a.size() >= 2) {
            f.dl->AddPolyline(a.data(), int(a.size()), plot_colors::kGreen, 0, 2.0f);
            f.dl->AddPolyline(b.data(), int(b.size()), plot_colors::kVermilion, 0, 2.0f);
        }
        if (sel_pos >= 0 && sel_pos < v.n_pos) {
            f.dl->AddCircleFilled(a[size_t(sel_pos)], 4.0f, plot_colors::kGreen);
            f.dl->AddCircleFilled(b[size_t(sel_pos)], 4.0f, plot_colors::kVermilion);
        }
        const float line = ImGui::GetTextLineHeight();
        f.dl->AddText(ImVec2(f.p0.x + 6, f.p0.y + 4), plot_colors::kVermilion, "without cache");
        f.dl->AddText(ImVec2(f.p0.x + 6, f.p0.y + 6 + line), plot_colors::kGreen, "with cache");
        if (f.hovered && v.n_pos > 0) {
            const int p = std::clamp(int(std::lround(f.x_from_screen(f.mouse.x))), 0, v.n_pos - 1);
            ImGui::SetTooltip("token at position %d\nwith the cache: %s multiply-adds\nwithout: %s (%.1f×)", p,
                              format_count_short(uint64_t(v.with_cache[size_t(p)])).c_str(),
                              format_count_short(uint64_t(v.without_cache[size_t(p)])).c_str(),
                              v.without_cache[size_t(p)] / std::max(1.0, v.with_cache[size_t(p)]));
        }
    }
}

void draw_macs_table(const core::Hparams& hp, int pos) {
    const MacCounts a = step_macs_with_cache(hp, pos);
    const MacCounts b = step_macs_without_cache(hp, pos);
    const ImGuiTableFlags flags =
        ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_SizingFixedFit;
    if (!ImGui::BeginTable("macs", 4, flags)) return;
    ImGui::TableSetupColumn("multiply-adds");
    ImGui::TableSetupColumn("with the cache");
    ImGui::TableSetupColumn("recomputing all");
    ImGui::TableSetupColumn("ratio");
    ImGui::TableHeadersRow();
    struct Row {
        const char* name;
        const char* help;
        uint64_t with, without;
    };
    const Row rows[] = {
        {"Q K V O projections",
         "wq, wk, wv and wo of every layer (a linear-attention layer's q|k|v, z, α, β and output): once per token "
         "evaluated.",
         a.projections, b.projections},
        {"attention",
         "q·k over every visible key and the weighted sum of V, every attention layer and head; a "
         "linear-attention layer's state update and read instead, the same at every position.",
         a.attention, b.attention},
        {"MLP", "gate, up and down projections of every layer: once per token evaluated.", a.mlp, b.mlp},
        {"output (logits)", "The output matrix, for the newest token only in both cases.", a.output, b.output},
        {"total", "Everything one new token costs.", a.total(), b.total()},
    };
    for (const Row& r : rows) {
        ImGui::TableNextRow();
        ImGui::TableSetColumnIndex(0);
        ImGui::TextUnformatted(r.name);
        item_tooltip(r.help);
        ImGui::TableSetColumnIndex(1);
        ImGui::TextUnformatted(format_thousands(r.with).c_str());
        ImGui::TableSetColumnIndex(2);
        ImGui::TextUnformatted(format_thousands(r.without).c_str());
        ImGui::TableSetColumnIndex(3);
        ImGui::Text("%.1f×", double(r.without) / double(std::max<uint64_t>(1, r.with)));
    }
    ImGui::EndTable();
}

// An old position's K/V rows as its step stored them and as the cache holds them now: the same bytes, however many
// steps came after (a step appends its own row and reads the others, it never rewrites them).
void draw_unchanged(const UiState& ui, KvView& v, const core::Snapshot& snap, int sel) {
    const int newest = int(snap.steps.size()) - 1;
    v.written = v.now = core::KvRowDigest{};
    v.unchanged       = false;
    for (int want : {sel < newest ? sel : -1, 0})
        for (const core::KvRowDigest& d : snap.kv_now)
            if (!v.now.valid() && d.pos == want && want <= newest) v.now = d;
    if (!v.now.valid()) return;
    const int p    = v.now.pos;
    v.written      = snap.steps[size_t(p)]->kv_written;
    v.unchanged    = v.written.same_rows(v.now);
    const auto row = [](const char* when, const core::KvRowDigest& d) {
        ImGui::Text("%-22s #%08x   k = %+.3f %+.3f %+.3f …   v = %+.3f %+.3f %+.3f …", when,
                    static_cast<unsigned>(d.hash & 0xffffffffu), double(d.k[0]), double(d.k[1]), double(d.k[2]),
                    double(d.v[0]), double(d.v[1]), double(d.v[2]));
    };
    ImGui::Text("Old entries never change: position %d's keys and values, every layer with a cache (values: layer %d)",
                p, v.now.layer);
    item_tooltip(
        "A hash of the bytes of this position's K and V rows in every layer with a cache, and the first values of "
        "the first such layer's rows (shown as 'layer'): taken when its step stored them, and again now. Later "
        "steps append their own rows and only read these. Select an older position to check that one.");
    ImGui::SameLine();
    if (v.unchanged) {
        ImGui::TextColored(ImVec4(0.0f, 0.62f, 0.45f, 1.0f), "unchanged");
    } else {
        ImGui::TextColored(ImVec4(0.85f, 0.2f, 0.2f, 1.0f), v.written.valid() ? "CHANGED" : "(not recorded)");
    }
    ImGui::PushFont(ui.fonts.mono);
    row("when stored:", v.written);
    char when[48];
    std::snprintf(when, sizeof when, "now, %d step%s later:", newest - p, newest - p == 1 ? "" : "s");
    row(when, v.now);
    ImGui::PopFont();
}

}  // namespace

void draw_kv_panel(UiState& ui, const core::Snapshot& snap) {
    if (!ui.views.kv) ui.views.kv = std::make_shared<KvView>();
    KvView& v = *ui.views.kv;
    if (!snap.model || snap.steps.empty()) {
        disabled_wrapped(
            "The cache is empty: type a prompt and press Step (→). Each evaluated token stores its keys "
            "and values here, in every layer.");
        return;
    }
    if (v.version != snap.version) rebuild(v, snap);
    const core::Hparams& hp = snap.model->hp;
    const int sel           = selected_pos(ui, snap);

    section_heading(ui, "KV cache");
    const float half = (ImGui::GetContentRegionAvail().x - ImGui::GetStyle().ItemSpacing.x) * 0.5f;
    ImGui::BeginChild("kv_left", ImVec2(half, ImGui::GetTextLineHeightWithSpacing() * 7.6f));
    draw_totals(ui, v, hp);
    ImGui::EndChild();
    ImGui::SameLine();
    ImGui::BeginChild("kv_right", ImVec2(0, ImGui::GetTextLineHeightWithSpacing() * 7.6f));
    ImGui::Text("The step that evaluated position %d (counted, not timed):", std::max(sel, 0));
    item_tooltip(
        "Multiply-adds counted from the model's shapes: what one step must compute with the cache, and what it would "
        "compute if every earlier token were evaluated again. Not a measurement of time.");
    draw_macs_table(hp, std::max(sel, 0));
    ImGui::EndChild();

    ImGui::Checkbox("Whole context window", &v.whole_context);
    item_tooltip("Spread the grid and the plots over every position the cache can hold, not just the ones filled.");
    ImGui::SameLine();
    ImGui::Checkbox("Log scale", &v.macs_log);
    item_tooltip(
        "The multiply-adds plot on a logarithmic axis (both curves visible at once) or a linear one (how\n"
        "fast recomputing grows: a straight line with the cache, a steepening one without).");
    ImGui::SameLine();
    ImGui::TextDisabled("grid: blue = prompt, orange = generated%s, yellow = selected position%s",
                        hp.has_recurrent() ? ", purple = recurrent state (constant)" : "",
                        hp.n_layer_kv > 0 ? ", outline = reads another layer's cache" : "");
    draw_unchanged(ui, v, snap, sel);
    if (core::kv_layers_differ(hp) && !hp.has_recurrent()) draw_kv_layer_table(v);
    const float avail_h = ImGui::GetContentRegionAvail().y;
    const float grid_h  = std::clamp(avail_h * 0.45f, 90.0f, 40.0f + 14.0f * float(hp.n_layer) + 60.0f);
    draw_grid(ui, v, snap, sel, grid_h);
    const float plot_h = std::max(140.0f, ImGui::GetContentRegionAvail().y - 4.0f);
    draw_growth(v, sel, half, plot_h);
}

}  // namespace ts::app
