// The Models panel (issue 15 item 3, the quantisation lens): the session's tokens through the model on screen (A) and
// a second file of the same vocabulary (B, File ▸ Compare with another model…), compared by the engine worker
// (core/session/model_compare_job.hpp over core/trace/compare.hpp, the maths of `tokenscope compare`): the two
// models named with their types; per position the KL divergence KL(A‖B) of their next-token distributions and each
// one's top-1, the text coloured by KL; at the selected position the residual streams' cosine after each layer, with
// the layer where the logit lens first parts marked; per weight tensor its type in each file and the mean
// dequantisation error (a sortable table).
//
// A tab of its own rather than a mode of the Branches comparison: that one compares two paths of one model and lives
// under the tree; this one compares one path through two models, has a per-tensor table with no counterpart there,
// and works with no branches at all. The grid and its colours are the Branches comparison's (grid_view.hpp).
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "app/ui/compare_models.hpp"
#include "app/ui/format.hpp"
#include "app/ui/grid_view.hpp"
#include "app/ui/panels.hpp"
#include "app/ui/plot_frame.hpp"
#include "app/ui/token_text.hpp"
#include "app/ui/widgets.hpp"

namespace ts::app {

struct ModelsView {
    std::shared_ptr<const std::vector<core::TensorDiff>> tensors;  // what `order` sorts
    std::vector<int> order;                                        // the tensor table's rows, sorted
};

namespace {

// "q4_k 70 %, q6_k 25 %, f32 5 %": a file's weight types by their share of the bytes (at most three).
std::string types_line(const ModelSummary* s) {
    if (!s) return {};
    std::string out;
    for (size_t i = 0; i < s->types.size() && i < 3; ++i) {
        char b[64];
        const double pct = 100.0 * s->types[i].share;
        if (pct < 0.5)
            std::snprintf(b, sizeof b, "%s%s <1 %%", i ? ", " : "", s->types[i].type.c_str());
        else
            std::snprintf(b, sizeof b, "%s%s %.0f %%", i ? ", " : "", s->types[i].type.c_str(), pct);
        out += b;
    }
    return out;
}

void model_line(const char* which, const ModelSummary* s, const core::Model& m) {
    ImGui::TextColored(ImVec4(0.9f, 0.62f, 0.0f, 1.0f), "%s", which);
    ImGui::SameLine();
    ImGui::Text("%s", s ? s->title.c_str() : m.path.c_str());
    ImGui::SameLine();
    ImGui::TextDisabled("%s · %s", s ? s->subtitle.c_str() : "", types_line(s).c_str());
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", m.path.c_str());
}

double relative(const core::TensorDiff& t) {
    return t.same_shape && t.mean_abs_a > 0 ? t.mean_abs_diff / t.mean_abs_a : NAN;
}

// The tensor table's sort: by the column clicked (NaN, a tensor not measured, last either way).
void sort_tensors(ModelsView& v, int column, bool ascending) {
    const auto& t = *v.tensors;
    auto key      = [&](int i) -> double {
        const core::TensorDiff& d = t[size_t(i)];
        switch (column) {
            case 2:
                return double(int(d.type_a));
            case 3:
                return double(int(d.type_b));
            case 4:
                return d.mean_abs_diff;
            case 5:
                return d.mean_abs_a;
            case 6:
                return relative(d);
            default:  // 1, the shape, is not sortable: the model's order
                return double(i);
        }
    };
    std::stable_sort(v.order.begin(), v.order.end(), [&](int a, int b) {
        if (column == 0)
            return ascending ? t[size_t(a)].name < t[size_t(b)].name : t[size_t(b)].name < t[size_t(a)].name;
        const double ka = key(a), kb = key(b);
        if (std::isnan(ka) || std::isnan(kb)) return !std::isnan(ka) && std::isnan(kb);
        return ascending ? ka < kb : kb < ka;
    });
}

// A header cell with its one-line explanation.
void header(const char* name, const char* tip) {
    ImGui::TableHeader(name);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", tip);
}

void draw_positions(UiState& ui, const core::ModelComparison& c, const core::Model* m, int sel, float height) {
    constexpr ImGuiTableFlags kFlags = ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY |
                                       ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_BordersInnerV;
    if (!ImGui::BeginTable("positions", 6, kFlags, ImVec2(0, height))) return;
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("pos");
    ImGui::TableSetupColumn("token");
    ImGui::TableSetupColumn("KL(A‖B)");
    ImGui::TableSetupColumn("top-1 A");
    ImGui::TableSetupColumn("top-1 B");
    ImGui::TableSetupColumn("parts at", ImGuiTableColumnFlags_WidthStretch);
    ImGui::TableNextRow(ImGuiTableRowFlags_Headers);
    const char* tips[] = {
        "The position: click a row to select it in every panel.",
        "The token at this position (the text both models read).",
        "KL(A‖B) in nats of the next-token distributions: 0 when B predicts as A; brighter cell, larger KL.",
        "A's most likely next token and its probability.",
        "B's most likely next token and its probability; ≠ where it is not A's.",
        "The first layer whose logit lens (final norm and output matrix applied early) gives A and B different top-1."};
    for (int i = 0; i < 6; ++i) {
        ImGui::TableSetColumnIndex(i);
        header(ImGui::TableGetColumnName(i), tips[i]);
    }
    const double scale = std::max(c.max_kl, 1e-12);
    ImGui::PushFont(ui.fonts.mono);
    ImGuiListClipper clip;
    clip.Begin(int(c.positions.size()));
    while (clip.Step())
        for (int p = clip.DisplayStart; p < clip.DisplayEnd; ++p) {
            const core::PositionDiff& d = c.positions[size_t(p)];
            ImGui::TableNextRow();
            ImGui::TableSetColumnIndex(0);
            char label[32];
            std::snprintf(label, sizeof label, "%s%d%s", p == sel ? "▶" : "", p, d.generated ? "*" : "");
            if (ImGui::Selectable(label, p == sel, ImGuiSelectableFlags_SpanAllColumns)) select_position(ui, p);
            const ImU32 bg = js_colour(float(std::sqrt(d.kl / scale)));  // √: small differences still show
            ImGui::TableSetColumnIndex(1);
            ImGui::TableSetBgColor(ImGuiTableBgTarget_CellBg, bg);
            ImGui::PushStyleColor(ImGuiCol_Text, text_on(bg));
            ImGui::TextUnformatted(token_label(m, d.token, 16).c_str());
            ImGui::TableSetColumnIndex(2);
            ImGui::TableSetBgColor(ImGuiTableBgTarget_CellBg, bg);
            ImGui::Text("%.3g", d.kl);
            ImGui::PopStyleColor();
            ImGui::TableSetColumnIndex(3);
            ImGui::Text("%s %4.1f%%", token_label(m, d.top1_a, 12).c_str(), 100.0 * double(d.p_top1_a));
            ImGui::TableSetColumnIndex(4);
            ImGui::TextColored(d.agree ? ImVec4(0, 0.62f, 0.45f, 1) : ImVec4(0.84f, 0.37f, 0, 1), "%s %4.1f%% %s",
                               token_label(m, d.top1_b, 12).c_str(), 100.0 * double(d.p_top1_b), d.agree ? "=" : "≠");
            ImGui::TableSetColumnIndex(5);
            if (d.part_layer >= 0)
                ImGui::Text("layer %d", d.part_layer);
            else
                ImGui::TextDisabled(d.part_layer == -1 ? "never" : "-");
        }
    ImGui::PopFont();
    ImGui::EndTable();
}

void draw_layers(const core::ModelComparison& c, int p) {
    const core::PositionDiff& d = c.positions[size_t(p)];
    const int L                 = c.n_layer;
    auto cos_at                 = [&](int row, int l) {
        return row == 0 ? double(c.cosine[size_t(p) * size_t(L) + size_t(l)]) : c.layer_cosine[size_t(l)];
    };
    double spread = 1e-9;  // the largest 1 − cos shown: the colour scale's bright end
    for (int row = 0; row < 2; ++row)
        for (int l = 0; l < L; ++l) spread = std::max(spread, 1.0 - cos_at(row, l));
    ImGui::Text("Residual stream cosine after each layer, A vs B (row 1: position %d; row 2: mean over positions)", p);
    item_tooltip(
        "cos(A, B) of the residual streams after each layer: 1 when B's activations point exactly where A's do; "
        "brighter = further apart (the brightest cell here: 1 − cos = the largest shown).");
    grid(
        "cosine", 2, L, ImGui::GetFontSize() * 2.8f,
        [&](int row, int l) { return js_colour(float((1.0 - cos_at(row, l)) / spread)); },
        [&](int row, int l) {
            ImGui::SetTooltip("layer %d: cosine %.6f (%s)%s", l, cos_at(row, l),
                              row == 0 ? "this position" : "mean over positions",
                              row == 0 && l == d.part_layer ? "\nthe logit lens parts here" : "");
        },
        [&](int row, int l) {
            char b[16];
            std::snprintf(b, sizeof b, "%.5f", cos_at(row, l));
            return std::string(b);
        });
    if (d.part_layer >= 0) {  // the first layer where the two lenses part: an orange frame on its cell
        const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
        const float cw = (b.x - a.x) / float(L), ch = (b.y - a.y) / 2.0f;
        ImGui::GetWindowDrawList()->AddRect(ImVec2(a.x + cw * float(d.part_layer), a.y),
                                            ImVec2(a.x + cw * float(d.part_layer + 1), a.y + ch), plot_colors::kOrange,
                                            0.0f, 0, 3.0f);
    }
    if (d.part_layer >= 0)
        ImGui::Text("At position %d the logit lens parts at layer %d (framed): from there A's and B's top-1 differ.", p,
                    d.part_layer);
    else if (d.part_layer == -1)
        ImGui::TextDisabled("At position %d the logit lens gives A and B the same top-1 at every layer.", p);
    item_tooltip(
        "The logit lens applies the final norm and the output matrix to the residual stream after a layer: the "
        "first layer where A's and B's lens top-1 differ is where the two models part.");
}

void draw_tensors(UiState& ui, ModelsView& v) {
    constexpr ImGuiTableFlags kFlags = ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY | ImGuiTableFlags_Sortable |
                                       ImGuiTableFlags_SortTristate | ImGuiTableFlags_SizingFixedFit |
                                       ImGuiTableFlags_BordersInnerV;
    if (!ImGui::BeginTable("tensors", 7, kFlags, ImVec2(0, ImGui::GetContentRegionAvail().y))) return;
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("tensor", ImGuiTableColumnFlags_WidthStretch);
    ImGui::TableSetupColumn("shape", ImGuiTableColumnFlags_NoSort);
    ImGui::TableSetupColumn("type A");
    ImGui::TableSetupColumn("type B");
    ImGui::TableSetupColumn("mean |A − B|", ImGuiTableColumnFlags_PreferSortDescending);
    ImGui::TableSetupColumn("mean |A|", ImGuiTableColumnFlags_PreferSortDescending);
    ImGui::TableSetupColumn("relative", ImGuiTableColumnFlags_PreferSortDescending);
    ImGui::TableNextRow(ImGuiTableRowFlags_Headers);
    const char* tips[] = {"The weight tensor (click a header to sort by it).",
                          "Its shape, innermost dimension first (ggml order).",
                          "Its type in A's file.",
                          "Its type in B's file (absent: B has no tensor of that name).",
                          "The mean absolute difference of the dequantised values: what quantising cost this tensor.",
                          "The mean absolute value in A: the scale the difference is read against.",
                          "mean |A − B| / mean |A|: the error as a fraction of the weights' size."};
    for (int i = 0; i < 7; ++i) {
        ImGui::TableSetColumnIndex(i);
        header(ImGui::TableGetColumnName(i), tips[i]);
    }
    if (ImGuiTableSortSpecs* specs = ImGui::TableGetSortSpecs(); specs && specs->SpecsDirty) {
        const bool any = specs->SpecsCount > 0;  // none (the third click): the model's order
        sort_tensors(v, any ? specs->Specs[0].ColumnIndex : 1,
                     !any || specs->Specs[0].SortDirection == ImGuiSortDirection_Ascending);
        specs->SpecsDirty = false;
    }
    ImGui::PushFont(ui.fonts.mono);
    const auto& t = *v.tensors;
    for (int i : v.order) {
        const core::TensorDiff& d = t[size_t(i)];
        ImGui::TableNextRow();
        ImGui::TableSetColumnIndex(0);
        ImGui::TextUnformatted(d.name.c_str());
        ImGui::TableSetColumnIndex(1);
        ImGui::Text("%lld×%lld", static_cast<long long>(d.ne[0]), static_cast<long long>(d.ne[1]));
        ImGui::TableSetColumnIndex(2);
        ImGui::TextUnformatted(core::dtype_name(d.type_a).data());
        ImGui::TableSetColumnIndex(3);
        ImGui::TextUnformatted(d.in_b ? core::dtype_name(d.type_b).data() : "absent");
        if (!d.same_shape) {
            ImGui::TableSetColumnIndex(4);
            ImGui::TextDisabled("%s", d.in_b ? "other shape" : "-");
            continue;
        }
        ImGui::TableSetColumnIndex(4);
        ImGui::Text("%.3e", d.mean_abs_diff);
        ImGui::TableSetColumnIndex(5);
        ImGui::Text("%.3e", d.mean_abs_a);
        ImGui::TableSetColumnIndex(6);
        ImGui::Text("%.2f %%", 100.0 * relative(d));
    }
    ImGui::PopFont();
    ImGui::EndTable();
}

void draw_no_second_model(UiState& ui) {
    if (ui.compare_loader.busy()) {
        ImGui::Text("Loading %s …", ui.compare_loader.path().c_str());
        const float t = float(std::fmod(ui.compare_loader.elapsed_s(), 1.5) / 1.5);  // no fraction: a moving bar
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.1f s", ui.compare_loader.elapsed_s());
        ImGui::ProgressBar(t, ImVec2(ImGui::GetFontSize() * 20, 0), buf);
        return;
    }
    disabled_wrapped(
        "Compare the model on screen with a second file of the same vocabulary — e.g. the F16 and the Q4_K_M of one "
        "model: is the smaller one good enough, and where inside the network does it go wrong? The tokens on "
        "screen run through both; this tab then shows, per position, how far apart their predictions are (KL) and "
        "whether their top-1 agree, per layer how far apart their residual streams are, the first layer where "
        "their logit lens parts, and per tensor what quantising cost. (The command line: tokenscope compare -m A "
        "-m2 B -p TEXT.)");
    if (ImGui::Button("Compare with another model…")) ui.compare_dialog_requested = true;
    item_tooltip("Ctrl+M: type the path of the second model file.");
}

}  // namespace

void draw_models_panel(UiState& ui, const core::Snapshot& snap) {
    if (!ui.compare_model) {
        draw_no_second_model(ui);
        return;
    }
    const core::ModelCompareState* st = snap.model_compare.get();
    model_line("A", ui.summary.get(), *snap.model);
    model_line("B", ui.compare_summary.get(), *ui.compare_model);
    ImGui::SameLine();
    if (ImGui::SmallButton("Close B")) {
        close_compare_model(ui);
        return;
    }
    item_tooltip("File ▸ Close the second model: frees it.");
    if (!st || st->model_b != ui.compare_model) {
        disabled_wrapped("Handing the second model to the engine …");
        return;
    }
    const core::ModelComparison* c = st->comparison.get();
    const bool stale               = !c || c->tokens.size() != snap.steps.size() ||
                       !std::equal(c->tokens.begin(), c->tokens.end(), snap.steps.begin(),
                                   [](int32_t id, const core::StepTracePtr& s) { return s && s->token == id; });
    if (!st->error.empty()) {
        ImGui::TextColored(ImVec4(0.84f, 0.37f, 0, 1), "Not compared: %s", st->error.c_str());
        if (!c) return;
    }
    if (!c) {
        disabled_wrapped(snap.steps.empty() ? "Evaluate a prompt: its tokens are compared once evaluated."
                                            : "Comparing: the tokens run through both models …");
        return;
    }
    if (stale && !ui.screenshot) {
        ImGui::TextDisabled("comparing the new tokens … (the last comparison below)");
        if (engine_busy(snap)) {
            ImGui::SameLine();
            ImGui::TextDisabled("— once the engine is idle");
        }
    }
    ImGui::Text("%zu positions · mean KL(A‖B) %.4g nats (max %.4g) · top-1 agreement %.1f %%", c->positions.size(),
                c->mean_kl, c->max_kl, 100.0 * c->agreement);
    item_tooltip(
        "KL(A‖B): how many nats B's next-token distribution loses against A's, averaged over the positions; "
        "agreement: the share of positions whose most likely next token is the same in both.");
    if (c->n_layer > 0) {
        if (c->positions_parted > 0)
            ImGui::Text("The logit lens parts first at layer %d (median layer %d; %d of %zu positions part)",
                        c->first_part_layer, c->median_part_layer, c->positions_parted, c->positions.size());
        else
            ImGui::Text("The logit lens gives A and B the same top-1 at every layer of every position");
        item_tooltip(
            "Where inside the network the two models start to disagree: the lowest layer whose logit-lens top-1 "
            "differs between A and B.");
    } else {
        ImGui::TextDisabled("The models differ in layers or width: no per-layer comparison.");
    }
    if (!ui.views.models) ui.views.models = std::make_shared<ModelsView>();
    ModelsView& v = *ui.views.models;
    if (v.tensors != st->tensors) {
        v.tensors = st->tensors;
        v.order.resize(v.tensors ? v.tensors->size() : 0);
        std::iota(v.order.begin(), v.order.end(), 0);
    }
    const int sel     = std::clamp(selected_pos(ui, snap), 0, int(c->positions.size()) - 1);
    const float avail = ImGui::GetContentRegionAvail().y, em = ImGui::GetFontSize();
    draw_positions(ui, *c, snap.model.get(), sel, std::max(em * 6, avail * 0.38f));
    if (c->n_layer > 0) draw_layers(*c, sel);
    if (v.tensors) draw_tensors(ui, v);
}

}  // namespace ts::app
