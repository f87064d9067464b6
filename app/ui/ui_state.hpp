// UiState: everything the explorer's UI remembers between frames (no panel keeps function-static state).
// Owned by the explorer loop; panels get it by reference together with the data they draw.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "app/ui/model_loader.hpp"
#include "app/ui/model_summary.hpp"

struct ImFont;

namespace ts::app {

// The tabs of the central area, in order (DESIGN §6): Model first, the overview of what is loaded. Only Model is
// drawn so far; the others say what they will show.
enum class CenterTab { Model, Attention, QkScores, Softmax, Logits, KvCache, Journey, Geometry, kCount };

struct Fonts {
    ImFont* ui    = nullptr;                   // DejaVu Sans: labels, text
    ImFont* mono  = nullptr;                   // DejaVu Sans Mono: token text, numbers in tables
    ImFont* title = nullptr;                   // DejaVu Sans Bold, larger: panel headings
    std::vector<unsigned short> ranges;        // glyph ranges the atlas was built from (must outlive the build)
    std::vector<unsigned short> title_ranges;  // the heading font's (Latin and symbols only)
};

struct UiState {
    // The model on screen and its prepared summary (null: the empty state).
    std::shared_ptr<const core::Model> model;
    std::shared_ptr<const ModelSummary> summary;
    ModelLoader loader;

    // Prompt & controls (generation arrives with the session engine; the text is kept and shown).
    std::array<char, 4096> prompt{};
    int n_steps = 16;

    // Layout, remembered in imgui.ini ([TokenScope][Layout]).
    static constexpr float kDefaultBottomHeight = 110.0f;
    float left_width      = 0.0f;  // 0: automatic (a quarter of the window) until the user drags the splitter
    float bottom_height   = kDefaultBottomHeight;
    CenterTab tab_request = CenterTab::kCount;  // kCount: leave the tab bar alone this frame
    std::vector<std::string> recent;            // most recent first, at most kMaxRecent
    static constexpr size_t kMaxRecent = 8;

    // Dialogs.
    bool open_dialog_requested = false;
    std::array<char, 1024> open_path{};
    std::string error_title;
    std::string error_message;
    bool error_requested = false;
    bool show_about      = false;
    bool show_shortcuts  = false;
    bool quit_requested  = false;

    // Fonts: rebuilt between frames when a model brings new characters.
    Fonts fonts;
    bool fonts_dirty = true;

    std::string status;         // last status-bar message ("Loaded model.gguf in 0.12 s")
    std::string renderer_info;  // GL renderer, for About
    std::string ini_path;       // ~/.config/tokenscope/imgui.ini ("" in screenshots: nothing read or written)
};

// Shows `message` in the error modal next frame.
void show_error(UiState& ui, std::string title, std::string message);
// Starts loading `path` in the background (refused with a status message while another load runs).
void request_load(UiState& ui, const std::string& path);
// Takes a finished load: swaps the model in (and asks for new fonts) or opens the error modal.
void accept_load(UiState& ui, core::Result<LoadedModel> result, const std::string& path);

}  // namespace ts::app
