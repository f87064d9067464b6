// The explorer's frame: menu bar, split layout with tabs (ImGui 1.86 has no docking), status bar and dialogs.
#include "app/ui/shell.hpp"

#include <imgui.h>
#include <imgui_internal.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iterator>

#include "app/ui/compare_models.hpp"
#include "app/ui/dialogs.hpp"
#include "app/ui/export_csv.hpp"
#include "app/ui/format.hpp"
#include "app/ui/lesson_player.hpp"
#include "app/ui/panels.hpp"
#include "app/ui/predict_mode.hpp"
#include "app/ui/settings.hpp"
#include "app/ui/split_view.hpp"
#include "app/ui/widgets.hpp"
#include "core/lesson/lesson.hpp"

namespace ts::app {
namespace {

// File ▸ Export numbers: the panel on screen as CSV, or the reason there is nothing to export in the status bar.
void export_shown_panel(UiState& ui) {
    std::string why;
    if (auto csv = panel_csv(ui, ui.tab_shown, &why))
        write_csv(ui, *csv, home_folder("Documents"));
    else
        ui.status = std::string("Nothing to export from ") + center_tab_title(ui.tab_shown) + ": " + why;
}

struct TabInfo {
    const char* title;
    void (*draw)(UiState&, const core::Snapshot&);
};

// In CenterTab's order; a tab's name (`shot --panel NAME`, lessons, saved views) is kPanelNames' at its index.
constexpr TabInfo kTabs[] = {
    {"Model", nullptr},  // drawn from the model summary, before any snapshot
    {"Attention", draw_attention_panel},
    {"Q·K scores", draw_qk_panel},
    {"Softmax & sampling", draw_softmax_panel},
    {"Logits", draw_logits_panel},
    {"KV cache", draw_kv_panel},
    {"Journey", draw_layers_panel},
    {"Geometry", draw_geometry_panel},
    {"Heads", draw_heads_panel},
    {"Experts", draw_experts_panel},
    {"Branches", draw_branches_panel},
    {"Models", draw_models_panel},
};
static_assert(std::size(kTabs) == size_t(CenterTab::kCount), "one title per CenterTab");
static_assert(std::size(core::lesson::kPanelNames) == size_t(CenterTab::kCount), "one name per CenterTab");
constexpr const char* kTokensPanel = "tokens";  // the token strip: not a tab, but `shot` draws it alone

void draw_menu_bar(UiState& ui) {
    if (!ImGui::BeginMainMenuBar()) return;
    if (ImGui::BeginMenu("File")) {
        if (ImGui::MenuItem("Open…", "Ctrl+O")) ui.open_dialog_requested = true;
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("A model file, or a saved exploration (.tscope).");
        if (ImGui::MenuItem("Save exploration…", "Ctrl+S", false, ui.model != nullptr)) ui.save_dialog_requested = true;
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip(
                "The model file, the prompt, the tokens with where each came from, the sampler settings,\n"
                "the interventions and the view (tab, layer, head, query) as a .tscope file: opening it\n"
                "recomputes everything and lands here again.");
        draw_compare_menu_items(ui);
        if (ImGui::BeginMenu("Recent", !ui.recent.empty())) {
            std::string chosen;
            for (const std::string& r : ui.recent)
                if (ImGui::MenuItem(r.c_str())) chosen = r;
            ImGui::Separator();
            if (ImGui::MenuItem("Clear list")) {
                ui.recent.clear();
                ImGui::MarkIniSettingsDirty();
            }
            ImGui::EndMenu();
            if (!chosen.empty()) request_load(ui, chosen);
        }
        if (ImGui::MenuItem("Save screenshot", "F12")) ui.screenshot_requested = true;
        if (ImGui::MenuItem("Export numbers (CSV)", "Ctrl+E")) export_shown_panel(ui);
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip(
                "The numbers of the panel on screen as a CSV file in ~/Documents: the attention matrix\n"
                "of the shown head, the Q·K row, the logits table, the sampler stages, the logit lens.");
        if (ImGui::MenuItem("Export the context (CSV)")) {
            if (auto csv = context_csv(ui)) write_csv(ui, *csv, home_folder("Documents"));
        }
        if (ImGui::MenuItem("Reopen the last model at start", nullptr, &ui.reopen_last)) ImGui::MarkIniSettingsDirty();
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip(
                "On: `tokenscope` alone opens the model and prompt of the last session.\n"
                "Off: it opens the default model every time.");
        ImGui::Separator();
        if (ImGui::MenuItem("Quit", "Ctrl+Q")) ui.quit_requested = true;
        ImGui::EndMenu();
    }
    if (ImGui::BeginMenu("View")) {
        for (size_t i = 0; i < std::size(kTabs); ++i)
            if (ImGui::MenuItem(kTabs[i].title)) ui.tab_request = CenterTab(i);
        ImGui::Separator();
        draw_split_menu(ui);
        ImGui::Separator();
        if (ImGui::BeginMenu("UI scale")) {
            for (float sc = UiState::kMinUiScale; sc <= UiState::kMaxUiScale + 1e-3f; sc += UiState::kUiScaleStep) {
                char label[16];
                std::snprintf(label, sizeof label, "%.0f %%", double(sc * 100.0f));
                if (ImGui::MenuItem(label, sc == 1.0f ? "Ctrl+0" : nullptr, std::abs(sc - ui.ui_scale) < 1e-3f)) {
                    set_ui_scale(ui, sc);
                    ImGui::MarkIniSettingsDirty();
                }
            }
            ImGui::TextDisabled("Ctrl+= larger, Ctrl+− smaller");
            ImGui::EndMenu();
        }
        ImGui::Separator();
        if (ImGui::MenuItem("High contrast", nullptr, &ui.high_contrast)) {
            ui.fonts_dirty = true;  // re-applies the style (with the fonts) before the next frame
            ImGui::MarkIniSettingsDirty();
        }
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip("White text on black and bordered controls, for projectors and weak eyes.");
        if (ImGui::MenuItem("Predict the next token", "P", ui.predict.on)) toggle_predict_mode(ui);
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip("Softmax and Logits hide the distribution until you guess the next token.");
        if (ImGui::MenuItem("Reset layout")) {
            ui.left_width    = 0.0f;
            ui.bottom_height = UiState::kDefaultBottomHeight;
            ImGui::MarkIniSettingsDirty();
        }
        ImGui::EndMenu();
    }
    if (ImGui::BeginMenu("Help")) {
        draw_lessons_menu(ui);
        ImGui::Separator();
        if (ImGui::MenuItem("Keyboard shortcuts", "F1")) ui.show_shortcuts = true;
        if (ImGui::MenuItem("About TokenScope")) ui.show_about = true;
        ImGui::EndMenu();
    }
    ImGui::EndMainMenuBar();
}

// GLFW key codes (the GLFW backend indexes io.KeysDown by them; letters and brackets equal their ASCII codes).
constexpr int kKeyF1 = 290, kKeyF12 = 301, kKeyLeftBracket = '[', kKeyRightBracket = ']';
constexpr int kKeyEqual = '=', kKeyMinus = '-', kKey0 = '0', kKeyKpAdd = 334, kKeyKpSubtract = 333;

bool key_pressed(ImGuiKey key, bool repeat = true) {
    return ImGui::IsKeyPressed(ImGui::GetKeyIndex(key), repeat);
}

// Moves the selected layer (shift) or head by `d`, wrapping around.
void step_layer_head(UiState& ui, int d, bool layer) {
    if (!ui.model) return;
    const int n_layer = std::max(1, ui.model->hp.n_layer), n_head = std::max(1, ui.model->hp.n_head);
    if (layer)
        select_layer_head(ui, (ui.sel.layer + d + n_layer) % n_layer, ui.sel.head);
    else
        select_layer_head(ui, ui.sel.layer, (ui.sel.head + d + n_head) % n_head);
}

void handle_shortcuts(UiState& ui) {
    const ImGuiIO& io = ImGui::GetIO();
    if (io.WantTextInput) return;
    if (io.KeyCtrl && ImGui::IsKeyPressed('O', false)) ui.open_dialog_requested = true;
    if (io.KeyCtrl && ImGui::IsKeyPressed('Q', false)) ui.quit_requested = true;
    if (io.KeyCtrl && ImGui::IsKeyPressed('E', false)) export_shown_panel(ui);
    if (io.KeyCtrl && ImGui::IsKeyPressed('S', false) && ui.model) ui.save_dialog_requested = true;
    if (ImGui::IsKeyPressed(kKeyF1, false)) ui.show_shortcuts = true;
    if (ImGui::IsKeyPressed(kKeyF12, false)) ui.screenshot_requested = true;
    // Ctrl+= (also Ctrl++ and the keypad's), Ctrl+− and Ctrl+0: the presentation scale.
    if (io.KeyCtrl && (ImGui::IsKeyPressed(kKeyEqual, false) || ImGui::IsKeyPressed(kKeyKpAdd, false)))
        set_ui_scale(ui, ui.ui_scale + UiState::kUiScaleStep);
    if (io.KeyCtrl && (ImGui::IsKeyPressed(kKeyMinus, false) || ImGui::IsKeyPressed(kKeyKpSubtract, false)))
        set_ui_scale(ui, ui.ui_scale - UiState::kUiScaleStep);
    if (io.KeyCtrl && ImGui::IsKeyPressed(kKey0, false)) set_ui_scale(ui, 1.0f);
    // Ctrl+Z / Ctrl+Shift+Z: undo / redo of branch-tree edits (core/session/branch_tree.hpp).
    if (io.KeyCtrl && ImGui::IsKeyPressed('Z', false) && !generating(ui)) {
        if (io.KeyShift)
            redo_tree(ui);
        else
            undo_tree(ui);
    }
    if (io.KeyCtrl || io.KeyAlt || ImGui::IsPopupOpen("", ImGuiPopupFlags_AnyPopupId)) return;
    const bool busy = generating(ui);
    // The lesson window's ← → turn its pages instead; on the Branches tab the arrows move in the tree.
    const bool lesson_arrows = handle_lesson_keys(ui) || branch_keys_active(ui);
    if (key_pressed(ImGuiKey_RightArrow) && !busy && !lesson_arrows) step_token(ui);
    if (key_pressed(ImGuiKey_LeftArrow) && !busy && !lesson_arrows) rewind_token(ui, 1);
    if (key_pressed(ImGuiKey_Space, false)) toggle_run(ui);
    if (ImGui::IsKeyPressed(kKeyLeftBracket)) step_layer_head(ui, -1, io.KeyShift);
    if (ImGui::IsKeyPressed(kKeyRightBracket)) step_layer_head(ui, +1, io.KeyShift);
    if (ImGui::IsKeyPressed('P', false)) toggle_predict_mode(ui);
    if (ImGui::IsKeyPressed('S', false)) {
        ui.attention.hide_sinks = !ui.attention.hide_sinks;
        ImGui::MarkIniSettingsDirty();
    }
    if (ui.snap && !ui.snap->steps.empty() && !branch_keys_active(ui)) {
        const int pos = selected_pos(ui, *ui.snap);
        if (key_pressed(ImGuiKey_UpArrow)) select_position(ui, std::max(0, pos - 1));
        if (key_pressed(ImGuiKey_DownArrow)) select_position(ui, pos + 1);
        if (key_pressed(ImGuiKey_End, false)) select_position(ui, -1);
    }
}

// A draggable bar between two regions; `size` is the region before it (left width or bottom height).
void splitter(const char* id, bool vertical, float* size, float min_size, float max_size, float sign) {
    const float thickness = 6.0f;
    const ImVec2 avail    = ImGui::GetContentRegionAvail();
    ImGui::InvisibleButton(id, vertical ? ImVec2(thickness, avail.y) : ImVec2(avail.x, thickness));
    const bool active = ImGui::IsItemActive();
    if (ImGui::IsItemHovered() || active)
        ImGui::SetMouseCursor(vertical ? ImGuiMouseCursor_ResizeEW : ImGuiMouseCursor_ResizeNS);
    if (active) {
        const ImVec2 d = ImGui::GetIO().MouseDelta;
        const float v  = std::clamp(*size + sign * (vertical ? d.x : d.y), min_size, std::max(min_size, max_size));
        if (v != *size) ImGui::MarkIniSettingsDirty();
        *size = v;
    }
    const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
    const ImU32 col = ImGui::GetColorU32(active                   ? ImGuiCol_SeparatorActive
                                         : ImGui::IsItemHovered() ? ImGuiCol_SeparatorHovered
                                                                  : ImGuiCol_Separator);
    ImDrawList* dl  = ImGui::GetWindowDrawList();
    if (vertical)
        dl->AddLine(ImVec2((a.x + b.x) * 0.5f, a.y), ImVec2((a.x + b.x) * 0.5f, b.y), col, 1.0f);
    else
        dl->AddLine(ImVec2(a.x, (a.y + b.y) * 0.5f), ImVec2(b.x, (a.y + b.y) * 0.5f), col, 1.0f);
}

void draw_empty_state(UiState& ui) {
    const float em    = ImGui::GetFontSize();
    const float avail = ImGui::GetContentRegionAvail().x;
    const float col_w = std::min(avail - em, em * 30.0f);
    ImGui::Dummy(ImVec2(0.0f, std::max(0.0f, ImGui::GetContentRegionAvail().y * 0.12f)));
    if (ui.loader.busy()) {
        char buf[1200];
        std::snprintf(buf, sizeof buf, "Loading %s …", ui.loader.path().c_str());
        ImGui::PushFont(ui.fonts.title);
        centered_text(buf, col_w);
        ImGui::PopFont();
        // The loader cannot report a fraction: a bar that keeps moving says the work goes on.
        const float t = float(std::fmod(ui.loader.elapsed_s(), 1.5) / 1.5);
        std::snprintf(buf, sizeof buf, "%.1f s", ui.loader.elapsed_s());
        ImGui::SetCursorPosX(ImGui::GetCursorPosX() + std::max(0.0f, (avail - col_w) * 0.5f));
        ImGui::ProgressBar(t, ImVec2(col_w, 0.0f), buf);
        return;
    }
    ImGui::PushFont(ui.fonts.title);
    centered_text("No model loaded", col_w);
    ImGui::PopFont();
    ImGui::Spacing();
    // A centred column of left-aligned text.
    const float x0 = ImGui::GetCursorPosX() + std::max(0.0f, (avail - col_w) * 0.5f);
    ImGui::SetCursorPosX(x0);
    ImGui::PushTextWrapPos(x0 + col_w);
    ImGui::TextUnformatted(
        "TokenScope shows what a language model computes for every token: attention, scores, "
        "logits, sampling and the KV cache. Open a GGUF model to begin:");
    ImGui::Spacing();
    static constexpr const char* kWays[] = {
        "File ▸ Open… (Ctrl+O) and type the path of a .gguf file",
        "drop a .gguf file onto this window",
        "start with   tokenscope gui -m FILE.gguf",
        "make the default model with   tokenscope train   (assets/models/default.gguf)",
    };
    for (const char* way : kWays) {
        ImGui::SetCursorPosX(x0);
        ImGui::Bullet();
        ImGui::SameLine();
        ImGui::TextUnformatted(way);
    }
    ImGui::PopTextWrapPos();
    ImGui::Spacing();
    ImGui::Spacing();
    ImGui::SetCursorPosX(x0);
    if (ImGui::Button("Open a model…")) ui.open_dialog_requested = true;
    item_tooltip("Type the path of a GGUF model or llama2.c checkpoint to load (Ctrl+O).");
}

// A panel that needs a snapshot, or what stands in while there is none.
void draw_snapshot_panel(UiState& ui, void (*draw)(UiState&, const core::Snapshot&)) {
    if (ui.snap && ui.snap->model)
        draw(ui, *ui.snap);
    else
        disabled_wrapped("Starting the engine …");
}

void draw_center(UiState& ui) {
    if (!ui.summary) {
        draw_empty_state(ui);
        return;
    }
    if (ui.split.on) {
        draw_split_view(ui);
        return;
    }
    if (!ImGui::BeginTabBar("center_tabs", ImGuiTabBarFlags_FittingPolicyScroll)) return;
    for (size_t i = 0; i < std::size(kTabs); ++i) {
        const bool select = ui.tab_request == CenterTab(i);
        if (!ImGui::BeginTabItem(kTabs[i].title, nullptr, select ? ImGuiTabItemFlags_SetSelected : 0)) continue;
        ui.tab_shown = CenterTab(i);
        ImGui::BeginChild("tab_content", ImVec2(0, 0), false);
        draw_center_panel(ui, CenterTab(i));
        ImGui::EndChild();
        ImGui::EndTabItem();
    }
    ImGui::EndTabBar();
    ui.tab_request = CenterTab::kCount;
}

void draw_token_strip(UiState& ui) {
    if (ui.snap && ui.snap->model) {
        draw_tokens_panel(ui, *ui.snap);
        return;
    }
    section_heading(ui, "Tokens");
    disabled_wrapped(
        "Open a model and type a prompt: its tokens appear here as chips, coloured by the probability "
        "they had when chosen.");
}

void draw_status_bar(UiState& ui) {
    ImGuiViewport* vp = ImGui::GetMainViewport();
    const ImGuiWindowFlags f =
        ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_MenuBar;
    if (ImGui::BeginViewportSideBar("##status", vp, ImGuiDir_Down, ImGui::GetFrameHeight(), f)) {
        if (ImGui::BeginMenuBar()) {
            if (ui.loader.busy())
                ImGui::Text("Loading %s … %.1f s", ui.loader.path().c_str(), ui.loader.elapsed_s());
            else
                ImGui::TextUnformatted(ui.status.empty() ? "Ready" : ui.status.c_str());
            if (ui.model_file_changed && !ui.loader.busy()) {
                // The file under the loaded model was rewritten: what is shown no longer matches it.
                ImGui::SameLine();
                if (ImGui::SmallButton("Reload")) reload_model(ui);
            }
            if (ui.model) {
                char right[200];
                std::snprintf(right, sizeof right, "%s  ·  %d layers  ·  %s-token vocabulary",
                              ui.model->hp.arch_name.c_str(), ui.model->hp.n_layer,
                              format_thousands(uint64_t(ui.model->hp.n_vocab)).c_str());
                const float w = ImGui::CalcTextSize(right).x;
                ImGui::SameLine(std::max(ImGui::GetCursorPosX() + 20.0f, ImGui::GetWindowWidth() - w - 16.0f));
                ImGui::TextDisabled("%s", right);
            }
            ImGui::EndMenuBar();
        }
    }
    ImGui::End();
}

// A borderless window covering the viewport's work area (below the menu bar, above the status bar).
bool begin_fullscreen(const char* name) {
    const ImGuiViewport* vp = ImGui::GetMainViewport();
    ImGui::SetNextWindowPos(vp->WorkPos);
    ImGui::SetNextWindowSize(vp->WorkSize);
    ImGui::PushStyleVar(ImGuiStyleVar_WindowRounding, 0.0f);
    ImGui::PushStyleVar(ImGuiStyleVar_WindowBorderSize, 0.0f);
    // No background: the frame is cleared to the window colour (GlWindow::set_clear_color), which saves a
    // full-window fill per frame on software renderers (llvmpipe).
    const ImGuiWindowFlags f = ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove |
                               ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoBringToFrontOnFocus |
                               ImGuiWindowFlags_NoBackground;
    const bool open = ImGui::Begin(name, nullptr, f);
    ImGui::PopStyleVar(2);
    return open;
}

}  // namespace

const char* center_tab_title(CenterTab tab) {
    return tab < CenterTab::kCount ? kTabs[size_t(tab)].title : "";
}

const char* center_tab_name(CenterTab tab) {
    return tab < CenterTab::kCount ? core::lesson::kPanelNames[size_t(tab)].data() : "";  // literals: 0-terminated
}

CenterTab center_tab_named(const std::string& name) {
    const std::string_view n = core::lesson::panel_named(name);  // "journey" too
    for (size_t i = 0; !n.empty() && i < std::size(core::lesson::kPanelNames); ++i)
        if (n == core::lesson::kPanelNames[i]) return CenterTab(i);
    return CenterTab::kCount;
}

void draw_center_panel(UiState& ui, CenterTab tab) {
    if (tab == CenterTab::Model)
        draw_model_panel(ui, *ui.summary);
    else if (tab < CenterTab::kCount)
        draw_snapshot_panel(ui, kTabs[size_t(tab)].draw);
}

void draw_shell(UiState& ui) {
    begin_ui_frame(ui);
    handle_shortcuts(ui);
    draw_menu_bar(ui);
    draw_status_bar(ui);
    if (begin_fullscreen("##root")) {
        const ImVec2 avail = ImGui::GetContentRegionAvail();
        const float em     = ImGui::GetFontSize();
        const float auto_w = std::clamp(avail.x * 0.26f, em * 16.0f, em * 24.0f);
        const float left_w = std::clamp(ui.left_width > 0.0f ? ui.left_width : auto_w, em * 10.0f,
                                        std::max(em * 10.0f, avail.x - em * 20.0f));
        float dragged      = left_w;
        ImGui::BeginChild("left", ImVec2(left_w, 0.0f), false);
        draw_controls_panel(ui, ui.snap.get());
        ImGui::EndChild();
        ImGui::SameLine(0.0f, 0.0f);
        splitter("##vsplit", true, &dragged, em * 10.0f, avail.x - em * 20.0f, 1.0f);
        if (dragged != left_w) ui.left_width = dragged;
        ImGui::SameLine(0.0f, 0.0f);
        ImGui::BeginGroup();
        const float right_h = ImGui::GetContentRegionAvail().y;
        // At least the strip's heading and one row of chips, in ems: a larger UI scale grows the strip with its text.
        ui.bottom_height = std::clamp(ui.bottom_height, em * 4.5f, std::max(em * 4.5f, right_h - em * 12.0f));
        ImGui::BeginChild("center", ImVec2(0.0f, right_h - ui.bottom_height - 6.0f), false);
        draw_center(ui);
        ImGui::EndChild();
        splitter("##hsplit", false, &ui.bottom_height, em * 4.5f, right_h - em * 12.0f, -1.0f);
        ImGui::BeginChild("bottom", ImVec2(0.0f, 0.0f), false);
        draw_token_strip(ui);
        ImGui::EndChild();
        ImGui::EndGroup();
    }
    ImGui::End();
    draw_lesson_player(ui);
    draw_dialogs(ui);
}

void draw_single_panel(UiState& ui, const std::string& name) {
    begin_ui_frame(ui);
    if (begin_fullscreen("##single_panel")) {
        if (!ui.summary) {
            draw_empty_state(ui);
        } else if (name == kTokensPanel) {
            draw_token_strip(ui);
        } else if (const CenterTab tab = center_tab_named(name); tab != CenterTab::kCount) {
            if (const TabInfo& t = kTabs[size_t(tab)]; t.draw)
                draw_snapshot_panel(ui, t.draw);
            else
                draw_model_panel(ui, *ui.summary);
        }
    }
    ImGui::End();
    draw_dialogs(ui);
}

std::vector<std::string> panel_names() {
    std::vector<std::string> names;
    for (std::string_view n : core::lesson::kPanelNames) {
        names.emplace_back(n);
        if (names.size() == 1) names.emplace_back(kTokensPanel);  // beside the model, where the help has listed it
    }
    return names;
}

bool is_known_panel(const std::string& name) {
    const auto names = panel_names();
    return name == "all" || std::find(names.begin(), names.end(), name) != names.end() ||
           !core::lesson::panel_named(name).empty();  // an older name ("journey")
}

std::string known_panels() {
    std::string out;
    for (const std::string& n : panel_names()) out += (out.empty() ? "" : " ") + n;
    return out;
}

void draw_model_only(UiState& ui) {
    draw_single_panel(ui, center_tab_name(CenterTab::Model));
}

}  // namespace ts::app
