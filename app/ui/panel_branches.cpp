// The Branches panel (issue 15): every path the session has taken, as indented text (a row per chain between forks,
// each token clickable, the row's joint probability after it), with keyboard moves — ↑/↓ sibling branches, ←/→
// along a branch, Enter switches the session to the selected node (every panel then shows it) — undo / redo of tree
// edits, deleting a branch, and the comparison of two branches (core/trace/branch_compare.hpp, computed by the
// engine worker): the two texts aligned by position with KL and top-1 agreement, per-layer residual cosine, per-head
// Jensen–Shannon of the attention rows and the A − B difference of the rows at the selected layer.
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "app/ui/grid_view.hpp"
#include "app/ui/panels.hpp"
#include "app/ui/plot_frame.hpp"
#include "app/ui/token_text.hpp"
#include "app/ui/widgets.hpp"

namespace ts::app {

struct BranchesView {
    uint64_t version = 0;
    std::shared_ptr<const core::BranchView> tree;
    std::vector<std::vector<std::string>> text;  // [row][token] display form
    int sel_node = -1;                           // the node the keyboard and the buttons act on
    int sel_row = -1, sel_index = -1;            // where it is in tree->rows
    int compare_pos = -1;                        // the position the comparison was asked at (-1: the last shared)
    int current     = -1;                        // the tree's current node when last rebuilt
};

namespace {

void locate(BranchesView& v) {
    v.sel_row = v.sel_index = -1;
    for (int r = 0; r < int(v.tree->rows.size()); ++r) {
        const auto& nodes = v.tree->rows[size_t(r)].nodes;
        for (int i = 0; i < int(nodes.size()); ++i)
            if (nodes[size_t(i)] == v.sel_node) {
                v.sel_row   = r;
                v.sel_index = i;
                return;
            }
    }
}

void select(BranchesView& v, int row, int index) {
    const auto& rows = v.tree->rows;
    if (row < 0 || row >= int(rows.size())) return;
    index       = std::clamp(index, 0, int(rows[size_t(row)].nodes.size()) - 1);
    v.sel_row   = row;
    v.sel_index = index;
    v.sel_node  = rows[size_t(row)].nodes[size_t(index)];
}

void rebuild(BranchesView& v, const core::Snapshot& snap) {
    v.version = snap.version;
    v.tree    = snap.branches;
    v.text.clear();
    for (const core::BranchRow& r : v.tree->rows) {
        std::vector<std::string> t;
        for (int32_t id : r.tokens) t.push_back(token_display(snap.model.get(), id));
        v.text.push_back(std::move(t));
    }
    // The selection follows the current node when that changed (a step, a switch, an undo) or the selection was lost.
    const bool moved = v.current != v.tree->current;
    v.current        = v.tree->current;
    locate(v);
    if (v.sel_row < 0 || moved) {
        v.sel_node = v.tree->current;
        locate(v);
    }
}

// Keyboard: ↑/↓ the sibling branches (rows forking from the same row; else the previous / next row), ←/→ along the
// branch into its parent or first child row, Enter switches.
void handle_keys(UiState& ui, BranchesView& v) {
    if (!branch_keys_active(ui) || v.sel_row < 0 || ImGui::GetIO().WantTextInput || ImGui::GetIO().KeyCtrl) return;
    const auto& rows         = v.tree->rows;
    const core::BranchRow& r = rows[size_t(v.sel_row)];
    auto pressed             = [](ImGuiKey k) { return ImGui::IsKeyPressed(ImGui::GetKeyIndex(k), true); };
    const int pos            = r.first_pos + v.sel_index;
    if (pressed(ImGuiKey_LeftArrow)) {
        if (v.sel_index > 0)
            select(v, v.sel_row, v.sel_index - 1);
        else if (r.parent_row >= 0)
            select(v, r.parent_row, int(rows[size_t(r.parent_row)].nodes.size()) - 1);
    }
    if (pressed(ImGuiKey_RightArrow)) {
        if (v.sel_index + 1 < int(r.nodes.size())) {
            select(v, v.sel_row, v.sel_index + 1);
        } else {
            for (int c = v.sel_row + 1; c < int(rows.size()); ++c)
                if (rows[size_t(c)].parent_row == v.sel_row) {
                    // the child on the current path when there is one, else the first
                    int pick = c;
                    for (int d = c; d < int(rows.size()); ++d)
                        if (rows[size_t(d)].parent_row == v.sel_row && rows[size_t(d)].on_path) pick = d;
                    select(v, pick, 0);
                    break;
                }
        }
    }
    for (int dir : {-1, +1}) {
        if (!pressed(dir < 0 ? ImGuiKey_UpArrow : ImGuiKey_DownArrow)) continue;
        int target = -1;
        for (int c = v.sel_row + dir; c >= 0 && c < int(rows.size()); c += dir)
            if (rows[size_t(c)].parent_row == r.parent_row) {
                target = c;
                break;
            }
        if (target < 0) target = v.sel_row + dir;
        if (target >= 0 && target < int(rows.size())) select(v, target, pos - rows[size_t(target)].first_pos);
    }
    if (pressed(ImGuiKey_Enter) && v.sel_node >= 0 && v.sel_node != v.tree->current) switch_branch(ui, v.sel_node);
}

void draw_tree(UiState& ui, BranchesView& v, float height) {
    const auto& rows = v.tree->rows;
    ImGui::BeginChild("branch_rows", ImVec2(0, height), true, ImGuiWindowFlags_HorizontalScrollbar);
    const float indent_w = ImGui::GetFontSize() * 1.5f;
    const float right    = ImGui::GetWindowContentRegionMax().x;
    ImGui::PushFont(ui.fonts.mono);
    for (int ri = 0; ri < int(rows.size()); ++ri) {
        const core::BranchRow& r = rows[size_t(ri)];
        ImGui::PushID(ri);
        const float x0 = ImGui::GetStyle().WindowPadding.x + indent_w * float(r.indent);
        ImGui::SetCursorPosX(x0);
        ImGui::TextDisabled("%s%4d ", r.current >= 0 ? "▶" : r.on_path ? "·" : " ", r.first_pos);
        for (int i = 0; i < int(r.nodes.size()); ++i) {
            const std::string& t = v.text[size_t(ri)][size_t(i)];
            const ImVec2 sz      = ImGui::CalcTextSize(t.c_str());
            ImGui::SameLine(0, 0);
            if (ImGui::GetCursorPosX() + sz.x > right) {
                ImGui::NewLine();
                ImGui::SetCursorPosX(x0 + indent_w);
            }
            const bool prompt = r.sources[size_t(i)] == core::TokenSource::Prompt;
            const bool dim    = !r.on_path || (r.current >= 0 && i > r.current);
            ImGui::PushStyleColor(ImGuiCol_Text,
                                  ImGui::GetStyleColorVec4(dim || prompt ? ImGuiCol_TextDisabled : ImGuiCol_Text));
            ImGui::PushID(i);
            const bool sel = r.nodes[size_t(i)] == v.sel_node;
            // An empty label and the text drawn over it: a token may hold "##", which ImGui reads as an id.
            if (ImGui::Selectable("##tok", sel || i == r.current, ImGuiSelectableFlags_AllowDoubleClick, sz)) {
                v.sel_node = r.nodes[size_t(i)];
                locate(v);
                if (ImGui::IsMouseDoubleClicked(0)) switch_branch(ui, v.sel_node);
            }
            ImGui::GetWindowDrawList()->AddText(ImGui::GetItemRectMin(), ImGui::GetColorU32(ImGuiCol_Text), t.c_str());
            if (sel)
                ImGui::GetWindowDrawList()->AddRect(ImGui::GetItemRectMin(), ImGui::GetItemRectMax(),
                                                    plot_colors::kOrange);
            if (ImGui::IsItemHovered()) {
                const float p = r.p[size_t(i)];
                ImGui::SetTooltip("position %d · %s · %s%s\nclick: select · double-click or Enter: switch to it",
                                  r.first_pos + i, t.c_str(),
                                  std::string(core::kTokenSourceNames[size_t(r.sources[size_t(i)])]).c_str(),
                                  std::isnan(p) ? "" : (" · p = " + std::to_string(p)).c_str());
            }
            ImGui::PopID();
            ImGui::PopStyleColor();
        }
        ImGui::SameLine();
        if (r.log_p < 0)
            ImGui::TextDisabled("  p=%.3g", std::exp(r.log_p));
        else
            ImGui::NewLine();
        ImGui::PopID();
    }
    ImGui::PopFont();
    ImGui::EndChild();
}

void draw_comparison(UiState& ui, BranchesView& v, const core::Snapshot& snap) {
    const core::BranchComparison& c = *snap.comparison;
    const core::Model* m            = snap.model.get();
    ImGui::Text("A: node %d (%zu tokens)   B: node %d (%zu tokens)   shared: %d", snap.compare_a, c.tokens_a.size(),
                snap.compare_b, c.tokens_b.size(), c.n_shared);
    ImGui::Text("mean KL(A‖B) %.4g nats · max %.4g · top-1 agreement %.0f%%", c.mean_kl, c.max_kl, 100.0 * c.agreement);
    int pos          = c.pos;
    const int n_both = int(std::min(c.tokens_a.size(), c.tokens_b.size()));
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 14);
    if (slider_int("position compared", &pos, 0, n_both - 1) && pos != c.pos) {
        v.compare_pos = pos;
        compare_branches(ui, snap.compare_a, snap.compare_b, pos);
    }
    item_tooltip("The position whose residual streams and attention rows are compared (both branches have it).");

    // The two texts aligned by position, from a little before they part.
    const int from = std::max(0, c.n_shared - 2);
    if (ImGui::BeginTable("aligned", 6,
                          ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY | ImGuiTableFlags_SizingFixedFit,
                          ImVec2(0, ImGui::GetTextLineHeightWithSpacing() * 8))) {
        ImGui::TableSetupScrollFreeze(0, 1);
        for (const char* h : {"pos", "A", "B", "KL(A‖B)", "next A", "next B"}) ImGui::TableSetupColumn(h);
        ImGui::TableHeadersRow();
        ImGui::PushFont(ui.fonts.mono);
        for (int p = from; p < int(c.positions.size()); ++p) {
            const core::BranchPositionDiff& d = c.positions[size_t(p)];
            ImGui::TableNextRow();
            ImGui::TableSetColumnIndex(0);
            ImGui::Text(p == c.pos ? "▶%d" : "%d", p);
            ImGui::TableSetColumnIndex(1);
            ImGui::TextUnformatted(d.token_a >= 0 ? token_label(m, d.token_a, 16).c_str() : "");
            ImGui::TableSetColumnIndex(2);
            ImGui::TextUnformatted(d.token_b >= 0 ? token_label(m, d.token_b, 16).c_str() : "");
            if (!d.both) continue;
            ImGui::TableSetColumnIndex(3);
            ImGui::Text("%.4f", d.kl);
            ImGui::TableSetColumnIndex(4);
            ImGui::TextUnformatted(token_label(m, d.top1_a, 12).c_str());
            ImGui::TableSetColumnIndex(5);
            ImGui::TextColored(d.agree ? ImVec4(0, 0.62f, 0.45f, 1) : ImVec4(0.84f, 0.37f, 0, 1), "%s %s",
                               token_label(m, d.top1_b, 12).c_str(), d.agree ? "=" : "≠");
        }
        ImGui::PopFont();
        ImGui::EndTable();
    }

    const float h = ImGui::GetFontSize() * 4.5f;
    ImGui::Text("At position %d: residual cosine per layer (A vs B; bright = apart)", c.pos);
    grid(
        "cosine", 1, c.n_layer, ImGui::GetFontSize() * 1.4f,
        [&](int, int l) { return js_colour(1.0f - c.layer_cosine[size_t(l)]); },
        [&](int, int l) { ImGui::SetTooltip("layer %d: cosine %.5f", l, c.layer_cosine[size_t(l)]); },
        [&](int, int l) {
            char b[16];
            std::snprintf(b, sizeof b, "%.3f", c.layer_cosine[size_t(l)]);
            return std::string(b);
        });
    ImGui::Text("Jensen–Shannon of the attention rows (layers ↓ × heads →; bright = ln 2, they attend apart)");
    grid(
        "js", c.n_layer, c.n_head, h,
        [&](int l, int hd) { return js_colour(c.head_js[size_t(l * c.n_head + hd)] / float(std::log(2.0))); },
        [&](int l, int hd) {
            ImGui::SetTooltip("layer %d head %d: JS %.4f nats", l, hd, c.head_js[size_t(l * c.n_head + hd)]);
        });
    const int layer = std::clamp(ui.sel.layer, 0, c.n_layer - 1);
    float scale     = 1e-6f;  // the largest |A − B| of the layer: the colour scale's ends
    for (int hd = 0; hd < c.n_head; ++hd)
        for (float d : c.attn_diff_at(layer, hd)) scale = std::max(scale, std::abs(d));
    ImGui::Text("A − B of the attention rows at layer %d (heads ↓ × keys →; vermilion: A attends more; ±%.3f)", layer,
                double(scale));
    grid(
        "diff", c.n_head, c.n_keys, h,
        [&](int hd, int k) { return diff_colour(c.attn_diff_at(layer, hd)[size_t(k)] / scale); },
        [&](int hd, int k) {
            ImGui::SetTooltip("head %d, key %d: p_A − p_B = %+.4f", hd, k, c.attn_diff_at(layer, hd)[size_t(k)]);
        });
}

}  // namespace

bool branch_keys_active(const UiState& ui) {
    if (ui.split.on) return ui.split.left == CenterTab::Branches || ui.split.right == CenterTab::Branches;
    return ui.tab_shown == CenterTab::Branches;
}

void draw_branches_panel(UiState& ui, const core::Snapshot& snap) {
    if (!snap.branches || snap.branches->rows.empty()) {
        disabled_wrapped(
            "No branches yet: evaluate a prompt. Every step, forced token (click a candidate in Logits), "
            "resample or “Apply from here” then adds to the tree instead of replacing what was there.");
        return;
    }
    if (!ui.views.branches) ui.views.branches = std::make_shared<BranchesView>();
    BranchesView& v = *ui.views.branches;
    if (v.version != snap.version || v.tree != snap.branches) rebuild(v, snap);
    handle_keys(ui, v);
    const core::BranchView& t = *v.tree;
    const bool busy           = generating(ui);

    ImGui::Text("%d branches · %d nodes", t.n_leaves, t.n_nodes);
    ImGui::SameLine();
    ImGui::BeginDisabled(busy || !t.can_undo);
    if (ImGui::SmallButton("Undo")) undo_tree(ui);
    item_tooltip("Ctrl+Z: undo the last tree edit (a step, branch, switch or delete).");
    ImGui::EndDisabled();
    ImGui::SameLine();
    ImGui::BeginDisabled(busy || !t.can_redo);
    if (ImGui::SmallButton("Redo")) redo_tree(ui);
    item_tooltip("Ctrl+Shift+Z");
    ImGui::EndDisabled();
    ImGui::SameLine();
    ImGui::BeginDisabled(busy || v.sel_node < 0 || v.sel_node == t.current);
    if (ImGui::SmallButton("Switch")) switch_branch(ui, v.sel_node);
    item_tooltip(
        "Enter: the session follows the selected node's path (the shared prefix is kept, the rest "
        "evaluated); every panel then shows it.");
    ImGui::SameLine();
    if (ImGui::SmallButton("Compare with current")) compare_branches(ui, v.sel_node, t.current, v.compare_pos);
    item_tooltip(
        "A = the selected node's path, B = the current one: KL and top-1 per position, residual cosine, "
        "attention Jensen–Shannon and A − B.");
    ImGui::EndDisabled();
    ImGui::SameLine();
    ImGui::BeginDisabled(busy || v.sel_node < 0 || t.n_leaves < 2);
    if (ImGui::SmallButton("Delete branch")) delete_branch(ui, v.sel_node);
    item_tooltip("Deletes the selected node and everything after it (Ctrl+Z brings it back).");
    ImGui::EndDisabled();
    if (!ui.screenshot && t.inactive_record_bytes > 0) {
        ImGui::SameLine();
        ImGui::TextDisabled("other branches' records: %.1f MiB", double(t.inactive_record_bytes) / 1048576.0);
    }

    const float avail = ImGui::GetContentRegionAvail().y;
    draw_tree(ui, v, snap.comparison ? std::max(avail * 0.35f, ImGui::GetFontSize() * 5) : avail);
    if (snap.comparison) draw_comparison(ui, v, snap);
}

}  // namespace ts::app
