// Attention: the softmax weights of one layer and head as a heatmap of query rows × key columns (a GPU texture
// coloured by the colour-map shader), with hover ("query → key: weight"), click to select the query row, wheel
// zoom and drag pan for long contexts, an optional log scale; the small multiples of every head of the layer, and
// the mean over heads. Attention sinks (core/trace/sinks.hpp: columns that take a large share of every later query's
// weight) are marked above their columns, and can be hidden with each row renormalised over the other keys (S), so
// the structure behind them shows. Textures are rebuilt only when the derived numbers or the display options change.
// A recurrent layer (qwen35's gated DeltaNet) has no attention weights: its gates and state norm are drawn instead
// (panel_recurrent.cpp).
#include <imgui.h>
#include <imgui_internal.h>  // MarkIniSettingsDirty

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "app/gl/colormap.hpp"
#include "app/gl/heatmap.hpp"
#include "app/ui/attention_image.hpp"
#include "app/ui/heatmap_view.hpp"
#include "app/ui/panels.hpp"
#include "app/ui/plot_frame.hpp"
#include "app/ui/token_text.hpp"
#include "app/ui/widgets.hpp"
#include "core/trace/sinks.hpp"

namespace ts::app {

struct AttentionView {
    // What the textures were made from: the Derived object (immutable, so its address names it) and the options.
    std::shared_ptr<const core::Derived> src;
    AttentionMode mode = AttentionMode::Head;
    bool log_scale = false, magma = false, hide_sinks = false;
    int n = 0;                                               // positions (rows = cols)
    std::vector<int> sinks;                                  // the big heatmap's sink columns (find_sinks)
    std::vector<float> renormalised;                         // its rows without them, when hidden (else empty)
    gl::HeatmapTexture main;                                 // the selected head, or the head mean
    std::vector<std::unique_ptr<gl::HeatmapTexture>> heads;  // small multiples, [n_head]
    std::vector<float> buf;                                  // scratch for the coloured values
    // Token labels of the positions (and the tokens they were made from), updated per snapshot version.
    uint64_t labels_version = 0;
    std::vector<std::string> labels;
    std::vector<int32_t> tokens;
    float labels_width = 0;          // the widest "label position" row title, in pixels
    std::vector<int> labelled_rows;  // the rows whose title the heatmap drew last frame (tests)
    bool dragging = false;
    ScreenRect heatmap_rect;  // where the big heatmap was last drawn
    int heatmap_n          = 0;
    bool prompt_edge_drawn = false;  // the dashed prompt / generation boundary was drawn last frame
};

namespace {

// Width of a heatmap row title: "label position".
float row_title_width(const std::string& label, size_t pos) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%s %zu", label.c_str(), pos);
    return ImGui::CalcTextSize(buf).x;
}

void render(const UiState& ui, AttentionView& v, int layer, const std::vector<float>& probs, int n,
            gl::HeatmapTexture& tex, const std::vector<int>& hidden = {}) {
    if (!ui.snap || probs.size() < size_t(n) * size_t(n)) return;
    render_attention(ui.heatmap, probs.data(), n, v.log_scale, v.magma, hidden, ui.snap->model->hp.window(layer), v.buf,
                     tex);
}

// The probabilities the big heatmap shows, or null while they are not derived yet.
const std::vector<float>* main_probs(const UiState& ui, const core::Derived& d) {
    if (ui.attention.mode == AttentionMode::HeadMean) return d.has_summary ? &d.summary.mean : nullptr;
    return d.has_matrix ? &d.matrix.probs : nullptr;
}

int main_n(const UiState& ui, const core::Derived& d) {
    return ui.attention.mode == AttentionMode::HeadMean ? d.summary.n : d.matrix.n;
}

void refresh(UiState& ui, AttentionView& v, const std::shared_ptr<const core::Derived>& d) {
    const AttentionOptions& o = ui.attention;
    if (v.src == d && v.mode == o.mode && v.log_scale == o.log_scale && v.magma == o.magma &&
        v.hide_sinks == o.hide_sinks)
        return;
    v.src        = d;
    v.mode       = o.mode;
    v.log_scale  = o.log_scale;
    v.magma      = o.magma;
    v.hide_sinks = o.hide_sinks;
    v.n          = 0;
    v.sinks.clear();
    v.renormalised.clear();
    if (!d) return;
    if (const std::vector<float>* p = main_probs(ui, *d)) {
        v.n = main_n(ui, *d);
        if (p->size() >= size_t(v.n) * size_t(v.n)) v.sinks = core::find_sinks(p->data(), v.n);
        if (o.hide_sinks && !v.sinks.empty()) {
            v.renormalised = core::hide_columns(p->data(), v.n, v.sinks);
            render(ui, v, d->focus.layer, v.renormalised, v.n, v.main, v.sinks);
        } else {
            render(ui, v, d->focus.layer, *p, v.n, v.main);
        }
    }
    if (o.mode == AttentionMode::AllHeads && d->has_heads) {
        v.heads.resize(d->heads.size());
        for (size_t h = 0; h < d->heads.size(); ++h) {
            if (!v.heads[h]) v.heads[h] = std::make_unique<gl::HeatmapTexture>();
            render(ui, v, d->focus.layer, d->heads[h].probs, d->heads[h].n, *v.heads[h]);
        }
    }
}

// Labels of the positions, kept in step with the snapshot: during a run only the new positions are labelled and
// measured (a rewind or branch relabels from where the tokens differ). Position i's token is steps[i]->token.
void refresh_labels(AttentionView& v, const core::Snapshot& snap) {
    if (v.labels_version == snap.version) return;
    v.labels_version = snap.version;
    size_t same      = 0;
    while (same < v.labels.size() && same < snap.steps.size() && v.tokens[same] == snap.steps[same]->token) ++same;
    if (same < v.labels.size()) {  // some positions changed: their labels go, and the width is measured again
        v.labels.resize(same);
        v.tokens.resize(same);
        v.labels_width = 0;
        for (size_t i = 0; i < same; ++i) v.labels_width = std::max(v.labels_width, row_title_width(v.labels[i], i));
    }
    for (size_t i = same; i < snap.steps.size(); ++i) {
        v.tokens.push_back(snap.steps[i]->token);
        v.labels.push_back(token_label(snap.model.get(), snap.steps[i]->token, 14));
        v.labels_width = std::max(v.labels_width, row_title_width(v.labels.back(), i));
    }
}

const char* label_of(const AttentionView& v, int pos) {
    return pos >= 0 && size_t(pos) < v.labels.size() ? v.labels[size_t(pos)].c_str() : "?";
}

// A tick step (1, 2, 5, 10, 20, 50 …) that leaves at least `min_px` pixels between ticks.
int tick_step(float px_per_cell, float min_px) {
    static constexpr int kSteps[] = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000};
    for (int s : kSteps)
        if (float(s) * px_per_cell >= min_px) return s;
    return 10000;
}

void draw_colour_bar(const UiState& ui, ImVec2 a, float h) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const float w  = 14.0f;
    const int n    = 64;
    const auto map = ui.attention.magma ? gl::Colormap::Magma : gl::Colormap::Viridis;
    for (int i = 0; i < n; ++i) {
        const float y0 = a.y + h * float(i) / float(n), y1 = a.y + h * float(i + 1) / float(n);
        dl->AddRectFilled(ImVec2(a.x, y0), ImVec2(a.x + w, y1 + 0.5f),
                          gl::colormap_u32(map, 1.0f - (float(i) + 0.5f) / float(n)));
    }
    const ImU32 text = ImGui::GetColorU32(ImGuiCol_TextDisabled);
    const float th   = ImGui::GetTextLineHeight();
    const char* top  = ui.attention.log_scale ? "1" : "1.0";
    const char* mid  = ui.attention.log_scale ? "0.01" : "0.5";
    const char* bot  = ui.attention.log_scale ? "≤1e-4" : "0.0";
    dl->AddText(ImVec2(a.x + w + 4, a.y - th * 0.5f), text, top);
    dl->AddText(ImVec2(a.x + w + 4, a.y + h * 0.5f - th * 0.5f), text, mid);
    dl->AddText(ImVec2(a.x + w + 4, a.y + h - th * 0.5f), text, bot);
    dl->AddRectFilled(ImVec2(a.x, a.y + h + th * 0.8f), ImVec2(a.x + w, a.y + h + th * 1.8f),
                      IM_COL32(64, 64, 69, 255));
    dl->AddText(ImVec2(a.x + w + 4, a.y + h + th * 0.8f), text, "masked");
}

void draw_toolbar(UiState& ui, const core::Snapshot& snap) {
    layer_head_sliders(ui, snap.model->hp, ui.attention.mode != AttentionMode::HeadMean);
    ImGui::SameLine();
    int mode = int(ui.attention.mode);
    ImGui::RadioButton("one head", &mode, int(AttentionMode::Head));
    item_tooltip("The selected head's weights: row = the query position, column = the key it reads from.");
    ImGui::SameLine();
    ImGui::RadioButton("all heads", &mode, int(AttentionMode::AllHeads));
    item_tooltip("Every head of the layer side by side, as small multiples; click one to open it.");
    ImGui::SameLine();
    ImGui::RadioButton("head mean", &mode, int(AttentionMode::HeadMean));
    item_tooltip("The weights averaged over the layer's heads: where the layer as a whole looks.");
    bool changed      = AttentionMode(mode) != ui.attention.mode;
    ui.attention.mode = AttentionMode(mode);
    ImGui::SameLine();
    changed |= ImGui::Checkbox("log scale", &ui.attention.log_scale);
    item_tooltip("Colour by log10(weight) so that small weights (down to 1e-4) become visible too.");
    ImGui::SameLine();
    changed |= ImGui::Checkbox("magma", &ui.attention.magma);
    item_tooltip("Use the magma colour map instead of viridis (both are colour-blind safe).");
    if (ui.attention.mode != AttentionMode::AllHeads) {
        ImGui::SameLine();
        changed |= ImGui::Checkbox("hide sinks", &ui.attention.hide_sinks);
        item_tooltip(
            "Attention sinks are keys (usually position 0) that take a large share of every later query's weight, "
            "marked ▼ above their columns. Hide them and renormalise each row over the other keys, so the structure "
            "behind them becomes visible (S).");
    }
    if (changed) ImGui::MarkIniSettingsDirty();  // the view is remembered in imgui.ini
    if (ui.attention.zoom > 1.0f) {
        ImGui::SameLine();
        if (ImGui::SmallButton("fit")) ui.attention.zoom = 1.0f;
        item_tooltip("Zoom out to the whole matrix (or double-click the heatmap).");
    }
}

// The big heatmap with axes, hover and selection; `n` positions, values in `probs` ([n][n]) for the tooltip.
void draw_heatmap(UiState& ui, AttentionView& v, const core::Snapshot& snap, const std::vector<float>& probs, int n,
                  const core::Derived& d) {
    AttentionOptions& o = ui.attention;
    const float em      = ImGui::GetFontSize();
    const float th      = ImGui::GetTextLineHeight();
    const ImVec2 avail  = ImGui::GetContentRegionAvail();
    const float left    = std::clamp(v.labels_width + 8.0f, em * 4.0f, em * 12.0f);  // row labels
    const float top     = th * 2.4f;                                                 // axis title + column numbers
    const float right   = em * 5.0f;                                                 // colour bar
    const float side    = std::max(40.0f, std::min(avail.x - left - right, avail.y - top - th * 1.5f));
    const ImVec2 p0     = ImGui::GetCursorScreenPos();
    const ScreenRect rect{p0.x + left, p0.y + top, side, side};
    v.heatmap_rect       = rect;
    v.heatmap_n          = n;
    const CellWindow win = visible_cells(n, n, o.zoom, o.pan_x, o.pan_y);
    o.pan_x              = win.col0;
    o.pan_y              = win.row0;

    ImGui::SetCursorScreenPos(ImVec2(rect.x, rect.y));
    ImGui::InvisibleButton("##heatmap", ImVec2(rect.w, rect.h));
    const bool hovered = ImGui::IsItemHovered();
    const ImGuiIO& io  = ImGui::GetIO();
    if (hovered && io.MouseWheel != 0.0f)
        zoom_about(n, n, rect, io.MousePos.x, io.MousePos.y, std::pow(1.25f, io.MouseWheel), &o.zoom, &o.pan_x,
                   &o.pan_y);
    if (ImGui::IsItemActive() && ImGui::IsMouseDragging(0, 3.0f)) {
        v.dragging = true;
        o.pan_x -= io.MouseDelta.x / rect.w * win.ncols;
        o.pan_y -= io.MouseDelta.y / rect.h * win.nrows;
    }
    if (hovered && ImGui::IsMouseDoubleClicked(0)) o.zoom = 1.0f;
    const auto hit = cell_at(win, rect, io.MousePos.x, io.MousePos.y);
    if (ImGui::IsItemDeactivated()) {
        if (!v.dragging && hit) select_position(ui, hit->row);
        v.dragging = false;
    }

    float uv[4];
    window_uv(win, uv);
    const ImVec2 a(rect.x, rect.y), b(rect.x + rect.w, rect.y + rect.h);
    draw_texture(v.main, a, b, uv);
    ImDrawList* dl = ImGui::GetWindowDrawList();
    dl->AddRect(ImVec2(a.x - 1, a.y - 1), ImVec2(b.x + 1, b.y + 1), IM_COL32(90, 94, 104, 255));

    // Axes: titles, position ticks, row labels when rows are tall enough.
    const ImU32 dim  = ImGui::GetColorU32(ImGuiCol_TextDisabled);
    const ImU32 text = ImGui::GetColorU32(ImGuiCol_Text);
    const float cell = rect.w / std::max(win.ncols, 1e-6f);
    dl->AddText(ImVec2(a.x, p0.y), dim, "key position →  (the tokens each query reads from)");
    const int step = tick_step(cell, em * 2.5f);
    dl->PushClipRect(ImVec2(a.x - em, p0.y), ImVec2(b.x + em * 2, b.y + th * 2), true);
    for (int j = (int(win.col0) / step) * step; j < n && float(j) < win.col0 + win.ncols; j += step) {
        float x = 0, y = 0;
        cell_center(win, rect, 0, j, &x, &y);
        char buf[16];
        std::snprintf(buf, sizeof buf, "%d", j);
        dl->AddText(ImVec2(x - ImGui::CalcTextSize(buf).x * 0.5f, a.y - th - 2), dim, buf);
        dl->AddLine(ImVec2(x, a.y - 2), ImVec2(x, a.y), dim);
    }
    dl->PopClipRect();
    // Sink columns: a marker above each (orange: colour-blind safe against viridis and magma), hatched when hidden.
    dl->PushClipRect(ImVec2(a.x, p0.y), ImVec2(b.x, b.y), true);
    const ImU32 sink_col = IM_COL32(255, 150, 40, 255);
    for (int c : v.sinks) {
        float x = 0, y = 0;
        cell_center(win, rect, 0, c, &x, &y);
        // In the gap between the axis title and the column numbers, pointing down at the column.
        const float r = std::max(3.0f, std::min(cell * 0.5f, em * 0.35f)), tip = a.y - th - 2.0f;
        dl->AddTriangleFilled(ImVec2(x - r, tip - r), ImVec2(x + r, tip - r), ImVec2(x, tip), sink_col);
        if (o.hide_sinks) {
            const float x0 = std::max(a.x, x - cell * 0.5f), x1 = std::min(b.x, x + cell * 0.5f);
            for (float yy = a.y; yy < b.y; yy += std::max(4.0f, cell))
                dl->AddLine(ImVec2(x0, yy), ImVec2(x1, std::min(b.y, yy + (x1 - x0))), sink_col);
        }
    }
    dl->PopClipRect();
    dl->PushClipRect(ImVec2(p0.x, a.y - th), ImVec2(a.x, b.y + th), true);
    // Every row is labelled when the rows are tall enough for the font, down to a smaller size than the panel's
    // (so ~50 rows keep every name); below that every k-th row, and the hovered row is always named.
    const float label_px  = std::min(em, cell);
    const float min_px    = std::max(8.0f, em * 0.6f);
    const int rstep       = label_px >= min_px ? 1 : tick_step(cell, min_px * 1.2f);
    const float lsize     = rstep == 1 ? label_px : em;
    const int hovered_row = hovered && hit ? hit->row : -1;
    v.labelled_rows.clear();
    const auto row_label = [&](int i, bool on_top) {
        float x = 0, y = 0;
        cell_center(win, rect, i, 0, &x, &y);
        char buf[48];
        std::snprintf(buf, sizeof buf, "%s %d", label_of(v, i), i);  // every labelled row names its token
        const float size = on_top ? em : lsize;
        const float w    = ImGui::GetFont()->CalcTextSizeA(size, FLT_MAX, 0.0f, buf).x;
        const ImVec2 at(a.x - w - 4, y - size * 0.5f);
        if (on_top)
            dl->AddRectFilled(ImVec2(at.x - 2, at.y), ImVec2(a.x - 2, at.y + size),
                              ImGui::GetColorU32(ImGuiCol_PopupBg));
        // Generated rows in orange (as in the token strip and the KV panel), prompt rows grey.
        const ImU32 col = i == selected_pos(ui, snap) || on_top ? text
                          : i >= snap.n_prompt                  ? plot_colors::kOrange
                                                                : dim;
        dl->AddText(ImGui::GetFont(), size, at, col, buf);
        v.labelled_rows.push_back(i);
    };
    for (int i = (int(win.row0) / rstep) * rstep; i < n && float(i) < win.row0 + win.nrows; i += rstep)
        if (i != hovered_row || rstep == 1) row_label(i, false);
    if (hovered_row >= 0 && rstep > 1) row_label(hovered_row, true);
    dl->PopClipRect();
    dl->AddText(ImVec2(p0.x, b.y + 4), dim, "↓ query position (the token that looks)");
    // Where the prompt ends: a dashed line before the first generated row and column.
    if (snap.n_prompt > 0 && snap.n_prompt < n) {
        float x = 0, y = 0;
        cell_center(win, rect, snap.n_prompt, snap.n_prompt, &x, &y);
        const float half = cell * 0.5f;
        const ImU32 edge = IM_COL32(255, 255, 255, 150);
        dl->PushClipRect(a, b, true);
        for (float t = a.x; t < b.x; t += 8.0f) dl->AddLine(ImVec2(t, y - half), ImVec2(t + 4.0f, y - half), edge);
        for (float t = a.y; t < b.y; t += 8.0f) dl->AddLine(ImVec2(x - half, t), ImVec2(x - half, t + 4.0f), edge);
        dl->PopClipRect();
        v.prompt_edge_drawn = true;
    } else {
        v.prompt_edge_drawn = false;
    }

    // The selected query row.
    const int sel = selected_pos(ui, snap);
    if (sel >= 0 && sel < n) {
        float x = 0, y = 0;
        cell_center(win, rect, sel, 0, &x, &y);
        const float h2 = std::max(1.0f, cell * 0.5f);
        dl->PushClipRect(a, b, true);
        dl->AddRect(ImVec2(a.x, y - h2), ImVec2(b.x, y + h2), IM_COL32(255, 255, 255, 200), 0.0f, 0,
                    cell >= 4.0f ? 1.5f : 1.0f);
        dl->PopClipRect();
    }
    draw_colour_bar(ui, ImVec2(b.x + em * 0.8f, a.y), rect.h - th * 2.0f);

    if (hovered && hit && !v.dragging) {
        const int i = hit->row, j = hit->col;
        const float p = probs[size_t(i) * size_t(n) + size_t(j)];
        ImGui::BeginTooltip();
        ImGui::PushFont(ui.fonts.mono);
        ImGui::Text("%s (%d) → %s (%d)", label_of(v, i), i, label_of(v, j), j);
        ImGui::PopFont();
        if (j > i) {
            ImGui::TextDisabled("masked: a query never sees later keys (causal mask), weight 0");
        } else if (const int w = snap.model->hp.window(d.focus.layer); w > 0 && j + w <= i) {
            ImGui::TextDisabled("masked: outside this layer's sliding window (the last %d positions), weight 0",
                                snap.model->hp.n_swa);
        } else if (o.mode == AttentionMode::HeadMean) {
            ImGui::Text("mean weight over %d heads: %.4f", d.summary.n_head, p);
        } else {
            ImGui::Text("weight %.4f", p);
            const bool sink = std::find(v.sinks.begin(), v.sinks.end(), j) != v.sinks.end();
            if (sink)
                ImGui::TextColored(ImVec4(1.0f, 0.6f, 0.16f, 1.0f), "an attention sink: %s",
                                   o.hide_sinks ? "hidden, the row renormalised without it" : "S hides it");
            else if (!v.renormalised.empty())
                ImGui::Text("%.4f of the row without the sinks", v.renormalised[size_t(i) * size_t(n) + size_t(j)]);
            if (d.has_matrix && d.matrix.n == n)
                ImGui::TextDisabled("score q·k/√d = %.3f", d.matrix.scores[size_t(i) * size_t(n) + size_t(j)]);
        }
        ImGui::TextDisabled("layer %d%s · click: make row %d the query · wheel: zoom · drag: pan", d.focus.layer,
                            o.mode == AttentionMode::HeadMean ? "" : (" head " + std::to_string(d.focus.head)).c_str(),
                            i);
        ImGui::EndTooltip();
        if (cell >= 3.0f) {  // outline the hovered cell
            float x = 0, y = 0;
            cell_center(win, rect, i, j, &x, &y);
            dl->PushClipRect(a, b, true);
            dl->AddRect(ImVec2(x - cell * 0.5f, y - cell * 0.5f), ImVec2(x + cell * 0.5f, y + cell * 0.5f), text);
            dl->PopClipRect();
        }
    }
    ImGui::SetCursorScreenPos(ImVec2(p0.x, b.y + th * 1.6f));
    ImGui::Dummy(ImVec2(1, 1));
}

void draw_small_multiples(UiState& ui, AttentionView& v, const core::Derived& d) {
    if (!d.has_heads) {
        ImGui::TextDisabled("deriving the heads of layer %d …", ui.sel.layer);
        return;
    }
    const float em     = ImGui::GetFontSize();
    const int n_head   = int(d.heads.size());
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float gap    = em * 0.8f;
    const float th     = ImGui::GetTextLineHeight() + ImGui::GetStyle().ItemSpacing.y;
    // The column count that makes the thumbnails largest while the grid fits the panel's width and height.
    int cols   = 1;
    float side = 0.0f;
    for (int c = 1; c <= std::max(1, n_head); ++c) {
        const int rows = (n_head + c - 1) / c;
        const float s =
            std::min((avail.x - gap * float(c - 1)) / float(c), (avail.y - float(rows) * (th + gap)) / float(rows));
        if (s > side) {
            side = s;
            cols = c;
        }
    }
    side              = std::clamp(side, em * 4.0f, em * 24.0f);
    const float uv[4] = {0, 0, 1, 1};
    ImDrawList* dl    = ImGui::GetWindowDrawList();
    for (int h = 0; h < n_head; ++h) {
        if (h % cols != 0) ImGui::SameLine(0.0f, gap);
        ImGui::BeginGroup();
        // derive's summary is in nats; the explorer shows every entropy in bits
        const float ent = h < int(d.summary.entropy.size()) ? d.summary.entropy[size_t(h)] * 1.4426950f : NAN;
        if (std::isfinite(ent))
            ImGui::Text("head %d  ·  H %.2f bits", h, double(ent));
        else
            ImGui::Text("head %d", h);
        const ImVec2 a = ImGui::GetCursorScreenPos();
        ImGui::PushID(h);
        if (ImGui::InvisibleButton("##thumb", ImVec2(side, side))) {
            select_layer_head(ui, ui.sel.layer, h);
            ui.attention.mode = AttentionMode::Head;
        }
        const bool hov = ImGui::IsItemHovered();
        ImGui::PopID();
        if (h < int(v.heads.size()) && v.heads[size_t(h)])
            draw_texture(*v.heads[size_t(h)], a, ImVec2(a.x + side, a.y + side), uv);
        const ImU32 border = h == ui.sel.head ? IM_COL32_WHITE
                             : hov            ? IM_COL32(200, 200, 210, 255)
                                              : IM_COL32(80, 84, 94, 255);
        dl->AddRect(ImVec2(a.x - 1, a.y - 1), ImVec2(a.x + side + 1, a.y + side + 1), border, 0.0f, 0,
                    h == ui.sel.head ? 2.0f : 1.0f);
        if (hov) {
            ImGui::BeginTooltip();
            ImGui::Text("layer %d head %d", ui.sel.layer, h);
            if (std::isfinite(ent))
                ImGui::TextDisabled("mean row entropy %.3f bits: low = focused on few keys, high = spread out",
                                    double(ent));
            ImGui::TextDisabled("click: open this head");
            ImGui::EndTooltip();
        }
        ImGui::EndGroup();
        if (h % cols == cols - 1) ImGui::Dummy(ImVec2(0.0f, gap * 0.25f));
    }
}

// One sentence about the selected query row: where it looks most, and how spread out its attention is.
void draw_query_summary(const UiState& ui, const AttentionView& v, const core::Snapshot& snap,
                        const std::vector<float>& probs, int n) {
    const int q = selected_pos(ui, snap);
    if (q < 0 || q >= n) return;
    const float* row = probs.data() + size_t(q) * size_t(n);
    int best         = 0;
    double entropy   = 0;
    for (int j = 0; j <= q; ++j) {
        if (row[j] > row[best]) best = j;
        if (row[j] > 0) entropy -= double(row[j]) * std::log2(double(row[j]));
    }
    ImGui::PushFont(ui.fonts.mono);
    ImGui::Text("query %s (%d) looks most at %s (%d): %.3f  ·  entropy %.2f of at most %.2f bits", label_of(v, q), q,
                label_of(v, best), best, double(row[best]), entropy, std::log2(double(q + 1)));
    ImGui::PopFont();
    item_tooltip(
        "The largest weight in the selected row, and the row's entropy: 0 when the query reads a single key, "
        "log2(number of keys) bits when it spreads evenly over all of them.");
}

}  // namespace

void draw_attention_panel(UiState& ui, const core::Snapshot& snap) {
    section_heading(ui, "Attention");
    if (!snap.model || snap.steps.empty()) {
        disabled_wrapped("Evaluate a prompt (Step →) to see where each token looks.");
        return;
    }
    if (snap.model->hp.is_recurrent(ui.sel.layer)) {  // qwen35's DeltaNet layers: no attention weights exist
        layer_head_sliders(ui, snap.model->hp, false);
        ImGui::SameLine();
        if (ImGui::Checkbox("magma", &ui.attention.magma)) ImGui::MarkIniSettingsDirty();
        item_tooltip("Use the magma colour map instead of viridis (both are colour-blind safe).");
        draw_recurrent_layer(ui, snap);
        return;
    }
    draw_toolbar(ui, snap);
    if (!ui.views.attention) ui.views.attention = std::make_shared<AttentionView>();
    AttentionView& v = *ui.views.attention;
    refresh_labels(v, snap);

    const std::shared_ptr<const core::Derived>& dp = snap.derived;
    const core::Derived* d                         = current_derived(ui, snap);
    const bool wants_all                           = ui.attention.mode == AttentionMode::AllHeads;
    const std::vector<float>* probs                = d && !wants_all ? main_probs(ui, *d) : nullptr;
    if (!d || (!wants_all && !probs)) {
        if (dp && !dp->error.empty() && !snap.derived_pending)
            disabled_wrapped(dp->error.c_str());
        else
            ImGui::TextDisabled("deriving layer %d …", ui.sel.layer);
        return;
    }
    refresh(ui, v, dp);
    if (wants_all) {
        ImGui::TextDisabled("Every head of layer %d: rows are queries, columns keys; H = mean row entropy.",
                            ui.sel.layer);
        draw_small_multiples(ui, v, *d);
        return;
    }
    if (ui.attention.mode == AttentionMode::HeadMean)
        ImGui::TextDisabled("Mean over the %d heads of layer %d.", d->summary.n_head, ui.sel.layer);
    else
        ImGui::TextDisabled("Layer %d, head %d: each row is one query's softmax over the keys before it (sums to 1).",
                            ui.sel.layer, ui.sel.head);
    const int n = main_n(ui, *d);
    draw_query_summary(ui, v, snap, *probs, n);
    draw_heatmap(ui, v, snap, *probs, n, *d);
}

std::string attention_row_label(const UiState& ui, int pos) {
    if (!ui.views.attention || pos < 0 || size_t(pos) >= ui.views.attention->labels.size()) return {};
    return ui.views.attention->labels[size_t(pos)];
}

std::vector<int> attention_labelled_rows(const UiState& ui) {
    return ui.views.attention ? ui.views.attention->labelled_rows : std::vector<int>{};
}

bool attention_prompt_edge_drawn(const UiState& ui) {
    return ui.views.attention && ui.views.attention->prompt_edge_drawn;
}

bool attention_heatmap_rect(const UiState& ui, float rect[4], int* n) {
    if (!ui.views.attention || ui.views.attention->heatmap_n <= 0) return false;
    ui.views.attention->heatmap_rect.corners(rect);
    *n = ui.views.attention->heatmap_n;
    return true;
}

}  // namespace ts::app
