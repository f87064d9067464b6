// imgui.ini location and our own ini section, through ImGui's settings-handler hook (imgui_internal.h).
#include "app/ui/settings.hpp"

#include <imgui.h>
#include <imgui_internal.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <string>

#include "app/ui/shell.hpp"

namespace ts::app {
namespace {

constexpr const char* kModeNames[] = {"head", "heads", "mean"};  // AttentionMode, in order

// The sections ([TokenScope][Layout], [View] and [Session]) read into the UiState; a line names its own field.
void* settings_open(ImGuiContext*, ImGuiSettingsHandler* h, const char* name) {
    return std::strcmp(name, "Layout") == 0 || std::strcmp(name, "View") == 0 || std::strcmp(name, "Session") == 0
               ? h->UserData
               : nullptr;
}

// An ini value is one line: backslash, line feed and carriage return are written as \\, \n and \r.
std::string escape_line(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else if (c == '\r')
            out += "\\r";
        else
            out += c;
    }
    return out;
}

std::string unescape_line(const char* s) {
    std::string out;
    for (; *s; ++s) {
        if (*s != '\\' || s[1] == '\0') {
            out += *s;
            continue;
        }
        ++s;
        out += *s == 'n' ? '\n' : *s == 'r' ? '\r' : *s;
    }
    return out;
}

void read_flag(const char* line, const char* key, bool* out) {
    const size_t n = std::strlen(key);
    if (std::strncmp(line, key, n) == 0 && line[n] == '=' && (line[n + 1] == '0' || line[n + 1] == '1'))
        *out = line[n + 1] == '1';
}

void settings_read_line(ImGuiContext*, ImGuiSettingsHandler*, void* entry, const char* line) {
    auto* ui = static_cast<UiState*>(entry);
    read_flag(line, "AttentionLog", &ui->attention.log_scale);
    read_flag(line, "AttentionMagma", &ui->attention.magma);
    read_flag(line, "AttentionHideSinks", &ui->attention.hide_sinks);
    read_flag(line, "QkByWeight", &ui->qk_by_weight);
    bool hc = ui->high_contrast;
    read_flag(line, "HighContrast", &hc);
    if (hc != ui->high_contrast) {
        ui->high_contrast = hc;
        ui->fonts_dirty   = true;  // the style is re-applied with the fonts
    }
    if (std::strncmp(line, "AttentionMode=", 14) == 0)
        for (size_t i = 0; i < std::size(kModeNames); ++i)
            if (std::strcmp(line + 14, kModeNames[i]) == 0) ui->attention.mode = AttentionMode(i);
    float f = 0;
    if (std::sscanf(line, "LeftWidth=%f", &f) == 1) ui->left_width = f > 0.0f ? std::clamp(f, 160.0f, 2000.0f) : 0.0f;
    if (std::sscanf(line, "BottomHeight=%f", &f) == 1) ui->bottom_height = std::clamp(f, 48.0f, 2000.0f);
    if (std::sscanf(line, "UiScale=%f", &f) == 1) set_ui_scale(*ui, f);
    int on = 0;
    if (std::sscanf(line, "Split=%d", &on) == 1) ui->split.on = on != 0;
    if (std::sscanf(line, "SplitFraction=%f", &f) == 1) ui->split.fraction = std::clamp(f, 0.15f, 0.85f);
    if (std::strncmp(line, "SplitLeft=", 10) == 0)
        if (const CenterTab t = center_tab_named(line + 10); t != CenterTab::kCount) ui->split.left = t;
    if (std::strncmp(line, "SplitRight=", 11) == 0)
        if (const CenterTab t = center_tab_named(line + 11); t != CenterTab::kCount) ui->split.right = t;
    if (std::strncmp(line, "Recent=", 7) == 0 && line[7] != '\0' && ui->recent.size() < UiState::kMaxRecent)
        ui->recent.emplace_back(line + 7);
    read_flag(line, "ReopenLast", &ui->reopen_last);
    if (std::strncmp(line, "LastModel=", 10) == 0) ui->last_model = line + 10;
    if (std::strncmp(line, "LastPrompt=", 11) == 0) ui->last_prompt = unescape_line(line + 11);
}

void settings_write_all(ImGuiContext*, ImGuiSettingsHandler* h, ImGuiTextBuffer* buf) {
    const auto* ui = static_cast<const UiState*>(h->UserData);
    buf->appendf("[%s][Layout]\n", h->TypeName);
    buf->appendf("LeftWidth=%.0f\n", double(ui->left_width));
    buf->appendf("BottomHeight=%.0f\n", double(ui->bottom_height));
    for (const std::string& r : ui->recent) buf->appendf("Recent=%s\n", r.c_str());
    buf->appendf("UiScale=%.2f\n", double(ui->ui_scale));
    buf->appendf("HighContrast=%d\n", ui->high_contrast ? 1 : 0);
    buf->appendf("Split=%d\n", ui->split.on ? 1 : 0);
    buf->appendf("SplitLeft=%s\n", center_tab_name(ui->split.left));
    buf->appendf("SplitRight=%s\n", center_tab_name(ui->split.right));
    buf->appendf("SplitFraction=%.3f\n", double(ui->split.fraction));
    buf->append("\n");
    buf->appendf("[%s][View]\n", h->TypeName);
    buf->appendf("AttentionMode=%s\n", kModeNames[size_t(ui->attention.mode)]);
    buf->appendf("AttentionLog=%d\n", ui->attention.log_scale ? 1 : 0);
    buf->appendf("AttentionMagma=%d\n", ui->attention.magma ? 1 : 0);
    buf->appendf("AttentionHideSinks=%d\n", ui->attention.hide_sinks ? 1 : 0);
    buf->appendf("QkByWeight=%d\n", ui->qk_by_weight ? 1 : 0);
    buf->append("\n");
    buf->appendf("[%s][Session]\n", h->TypeName);
    buf->appendf("ReopenLast=%d\n", ui->reopen_last ? 1 : 0);
    if (!ui->last_model.empty()) buf->appendf("LastModel=%s\n", ui->last_model.c_str());
    if (!ui->last_model.empty()) buf->appendf("LastPrompt=%s\n", escape_line(ui->last_prompt).c_str());
    buf->append("\n");
}

}  // namespace

std::string default_ini_path() {
    namespace fs = std::filesystem;
    fs::path dir;
    if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg == '/')
        dir = fs::path(xdg) / "tokenscope";
    else if (const char* home = std::getenv("HOME"); home && *home)
        dir = fs::path(home) / ".config" / "tokenscope";
    else
        return {};
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec || !fs::is_directory(dir, ec)) return {};
    return (dir / "imgui.ini").string();
}

std::string home_folder(const char* sub) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const char* home = std::getenv("HOME");
    if (!home || *home != '/') return ".";
    // Created when missing, so files land where people look for them; $HOME only when it cannot be made.
    const fs::path dir = fs::path(home) / sub;
    fs::create_directories(dir, ec);
    return fs::is_directory(dir, ec) ? dir.string() : std::string(home);
}

std::string screenshot_path(std::time_t when) {
    return dated_path(home_folder("Pictures"), "tokenscope", ".png", when);
}

std::string dated_path(const std::string& folder, const std::string& stem, const std::string& ext, std::time_t when) {
    namespace fs = std::filesystem;
    std::error_code ec;
    std::tm tm{};
    localtime_r(&when, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    const std::string base = (fs::path(folder) / (stem + "-" + stamp)).string();
    std::string path       = base + ext;
    for (int i = 2; fs::exists(path, ec) && i < 1000; ++i) path = base + "-" + std::to_string(i) + ext;
    return path;
}

void install_settings(UiState& ui) {
    ImGuiContext* ctx = ImGui::GetCurrentContext();
    ImGuiSettingsHandler h;
    h.TypeName   = "TokenScope";
    h.TypeHash   = ImHashStr("TokenScope");
    h.ReadOpenFn = settings_open;
    h.ReadLineFn = settings_read_line;
    h.WriteAllFn = settings_write_all;
    h.UserData   = &ui;
    ctx->SettingsHandlers.push_back(h);
    ImGui::GetIO().IniFilename = ui.ini_path.empty() ? nullptr : ui.ini_path.c_str();
    // Read now rather than at the first frame: what the explorer opens at start depends on [Session].
    if (!ui.ini_path.empty()) {
        ImGui::LoadIniSettingsFromDisk(ui.ini_path.c_str());
        ctx->SettingsLoaded = true;  // ImGui's first NewFrame would read the file again
    }
}

}  // namespace ts::app
