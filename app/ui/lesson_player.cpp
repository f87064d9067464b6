// The lesson player (lesson_player.hpp): the Help ▸ Lessons menu, the window, its keys, and the replay of a step's
// actions through the explorer's own engine commands.
#include "app/ui/lesson_player.hpp"

#include <imgui.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <iterator>

#include "app/cli/args.hpp"
#include "core/session/worker.hpp"

namespace ts::app {
namespace {

namespace fs = std::filesystem;

LessonPlayer& player(UiState& ui) {
    if (!ui.lesson) ui.lesson = std::make_shared<LessonPlayer>();
    return *ui.lesson;
}

void scan_lessons(LessonPlayer& p) {
    p.scanned = true;
    p.files.clear();
    p.titles.clear();
    const std::string dir = find_asset("lessons");
    if (dir.empty()) return;
    std::error_code ec;
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(dir, ec))
        if (e.path().extension() == ".json") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    for (const std::string& f : files) {
        auto l = core::lesson::load_lesson(f);
        p.files.push_back(f);
        p.titles.push_back(l ? l->title : fs::path(f).filename().string() + " (cannot be read)");
    }
}

// Tokens the prompt becomes (BOS included where the model adds it): where a later "force" without a position goes.
int prompt_positions(const UiState& ui, const std::string& text) {
    if (!ui.model || !ui.model->tokenizer) return 0;
    auto ids = ui.model->tokenizer->encode(text, true, true);
    return ids ? int(ids->size()) : 0;
}

// One action through the explorer's commands; n_pos tracks the positions the engine will have once it is done.
void apply_action(UiState& ui, const core::lesson::Action& a, bool last_step, int* n_pos) {
    using core::lesson::ActionKind;
    LessonPlayer& p = player(ui);
    switch (a.kind) {
        case ActionKind::Prompt: {
            const size_t n = std::min(a.text.size(), ui.prompt.size() - 1);
            std::memcpy(ui.prompt.data(), a.text.data(), n);
            ui.prompt[n] = '\0';
            if (submit_prompt(ui)) *n_pos = prompt_positions(ui, a.text);
            break;
        }
        case ActionKind::Generate:
            ui.bridge.push(core::cmd::Run{a.n});
            *n_pos += a.n;
            break;
        case ActionKind::Rewind:
            ui.bridge.push(core::cmd::Rewind{a.n});
            *n_pos = std::max(1, *n_pos - a.n);
            break;
        case ActionKind::Force: {
            auto id = core::lesson::token_id(*ui.model, a.token);
            if (!id) {
                p.error = "force: " + id.error().message;
                break;
            }
            const int pos = a.pos < 0 ? *n_pos : a.pos;
            branch_token(ui, pos, *id);
            *n_pos = pos + 1;
            break;
        }
        case ActionKind::Sampler:
            ui.sampler = core::lesson::patched(a.sampler, ui.sampler);
            push_sampler_settings(ui);
            break;
        case ActionKind::Tab:
        case ActionKind::Split: {
            static_assert(std::size(core::lesson::kPanelNames) == size_t(CenterTab::kCount),
                          "a lesson names every tab of the explorer, in CenterTab's order");
            const auto* names = std::begin(core::lesson::kPanelNames);
            const auto tab    = [&](const std::string& n) {
                return CenterTab(std::find(names, std::end(core::lesson::kPanelNames), n) - names);
            };
            ui.split.on    = a.kind == ActionKind::Split;
            ui.tab_request = CenterTab::kCount;  // a tab asked for by an earlier step must not land in the split
            if (ui.split.on) {
                ui.split.left  = tab(a.left);
                ui.split.right = tab(a.right);
            } else {
                ui.tab_request = tab(a.left);
            }
            break;
        }
        case ActionKind::Layer:
            select_layer_head(ui, a.n, ui.sel.head);
            break;
        case ActionKind::Head:
            select_layer_head(ui, ui.sel.layer, a.n);
            break;
        case ActionKind::Query:
            ui.sel.pos = a.n;
            break;  // begin_ui_frame clamps it to the sequence
        case ActionKind::Predict:
            if (last_step) {  // like a highlight, for that step only
                ui.predict.on   = a.n != 0;
                ui.predict.step = -1;  // a fresh guess
            }
            break;
        case ActionKind::Highlight:
            if (last_step) {  // a highlight lasts one step
                p.hl_from = a.from;
                p.hl_to   = a.to;
                p.hl_note = a.note;
            }
            break;
    }
}

// Markdown-light: **bold** (in the accent colour), `code` (monospace), word-wrapped from the cursor's x.
void draw_inline(UiState& ui, const std::string& line) {
    const float x0    = ImGui::GetCursorPosX();
    const float right = ImGui::GetContentRegionMax().x;
    bool bold = false, code = false, first = true;
    const ImVec4 accent = ImGui::GetStyleColorVec4(ImGuiCol_PlotHistogram);
    std::string word;
    auto flush = [&] {
        if (word.empty()) return;
        ImGui::PushFont(code ? ui.fonts.mono : ui.fonts.ui);
        std::string w = word;
        if (!first) {
            ImGui::SameLine(0.0f, 0.0f);
            if (ImGui::GetCursorPosX() + ImGui::CalcTextSize(w.c_str()).x > right) {
                ImGui::NewLine();
                ImGui::SetCursorPosX(x0);
                w.erase(0, w.find_first_not_of(' '));
            }
        }
        if (bold) ImGui::PushStyleColor(ImGuiCol_Text, accent);
        ImGui::TextUnformatted(w.c_str());
        if (bold) ImGui::PopStyleColor();
        ImGui::PopFont();
        first = false;
        word.clear();
    };
    for (size_t i = 0; i < line.size(); ++i) {
        if (line.compare(i, 2, "**") == 0 && !code) {
            flush();
            bold = !bold;
            ++i;
        } else if (line[i] == '`') {
            flush();
            code = !code;
        } else {
            if (line[i] == ' ' && !code) flush();  // a word carries its leading space; code spans stay whole
            word += line[i];
        }
    }
    flush();
    if (first) ImGui::NewLine();
}

// Paragraphs (a blank line between), lines starting with "- " as bullets.
void draw_markdown(UiState& ui, const std::string& text) {
    size_t start = 0;
    while (start <= text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        const std::string line = text.substr(start, end - start);
        if (line.empty()) {
            ImGui::Spacing();
        } else if (line.rfind("- ", 0) == 0) {
            ImGui::Bullet();
            ImGui::SameLine();
            draw_inline(ui, line.substr(2));
        } else {
            draw_inline(ui, line);
        }
        start = end + 1;
    }
}

}  // namespace

void draw_lessons_menu(UiState& ui) {
    LessonPlayer& p = player(ui);
    if (!ImGui::BeginMenu("Lessons")) return;
    if (!p.scanned) scan_lessons(p);
    for (size_t i = 0; i < p.files.size(); ++i)
        if (ImGui::MenuItem(p.titles[i].c_str(), nullptr, p.open && p.lesson.file == p.files[i]))
            open_lesson(ui, p.files[i]);
    if (p.files.empty()) ImGui::TextDisabled("no lessons found (assets/lessons)");
    ImGui::EndMenu();
}

bool open_lesson(UiState& ui, const std::string& path) {
    LessonPlayer& p = player(ui);
    auto l          = core::lesson::load_lesson(path);
    p.open          = true;
    if (!l) {
        p.error  = l.error().message;
        p.lesson = {};
        return false;
    }
    p.lesson = std::move(*l);
    go_to_lesson_step(ui, 0);
    return true;
}

void go_to_lesson_step(UiState& ui, int k) {
    LessonPlayer& p = player(ui);
    if (p.lesson.steps.empty()) return;
    p.step = std::clamp(k, 0, int(p.lesson.steps.size()) - 1);
    p.error.clear();
    p.hl_from = p.hl_to = -1;
    p.hl_note.clear();
    if (!ui.model || !ui.bridge.attached()) {
        p.error = "no model is loaded";
        return;
    }
    // From the sampler's defaults, as `tokenscope lesson --check` runs it; a paced Run stops.
    ui.playing    = false;
    ui.predict.on = false;  // on again only where the step asks for it
    ui.sampler    = core::sample::SamplerSettings{};
    if (ui.snap && !ui.snap->steps.empty()) push_sampler_settings(ui);
    int n_pos = ui.snap ? int(ui.snap->steps.size()) : 0;
    for (int i = 0; i <= p.step; ++i)
        for (const auto& a : p.lesson.steps[size_t(i)].actions) apply_action(ui, a, i == p.step, &n_pos);
}

bool handle_lesson_keys(UiState& ui) {
    if (!ui.lesson || !ui.lesson->open || ui.lesson->lesson.steps.empty()) return false;
    LessonPlayer& p    = *ui.lesson;
    const auto pressed = [](ImGuiKey k) { return ImGui::IsKeyPressed(ImGui::GetKeyIndex(k), false); };
    const bool arrows  = p.focused;
    if (pressed(ImGuiKey_PageDown) || (arrows && pressed(ImGuiKey_RightArrow))) go_to_lesson_step(ui, p.step + 1);
    if (pressed(ImGuiKey_PageUp) || (arrows && pressed(ImGuiKey_LeftArrow))) go_to_lesson_step(ui, p.step - 1);
    return arrows;
}

void draw_lesson_player(UiState& ui) {
    if (!ui.lesson || !ui.lesson->open) return;
    LessonPlayer& p         = *ui.lesson;
    const float em          = ImGui::GetFontSize();
    const ImGuiViewport* vp = ImGui::GetMainViewport();
    ImGui::SetNextWindowSize(ImVec2(em * 34.0f, em * 26.0f), ImGuiCond_FirstUseEver);
    ImGui::SetNextWindowPos(ImVec2(vp->WorkPos.x + vp->WorkSize.x - em * 35.0f, vp->WorkPos.y + em * 3.0f),
                            ImGuiCond_FirstUseEver);
    if (ImGui::Begin("Lesson###lesson_player", &p.open, ImGuiWindowFlags_NoCollapse)) {
        p.focused   = ImGui::IsWindowFocused(ImGuiFocusedFlags_RootAndChildWindows);
        const int n = int(p.lesson.steps.size());
        if (n > 0) {
            ImGui::PushFont(ui.fonts.title);
            ImGui::TextWrapped("%s", p.lesson.title.c_str());
            ImGui::PopFont();
            const auto& step = p.lesson.steps[size_t(p.step)];
            ImGui::TextDisabled("Step %d of %d", p.step + 1, n);
            if (!step.title.empty()) {
                ImGui::SameLine();
                ImGui::TextUnformatted(step.title.c_str());
            }
            ImGui::Separator();
            const float footer = ImGui::GetFrameHeightWithSpacing() * (p.error.empty() ? 1.0f : 2.0f) + 4.0f;
            ImGui::BeginChild("lesson_text", ImVec2(0.0f, -footer), false);
            if (p.step == 0) {
                ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
                draw_markdown(ui, p.lesson.summary);
                ImGui::PopStyleColor();
                ImGui::Spacing();
            }
            if (p.step > 0 && !p.lesson.steps[size_t(p.step - 1)].answer.empty()) {
                ImGui::TextDisabled("Answer to the last question:");
                draw_markdown(ui, p.lesson.steps[size_t(p.step - 1)].answer);
                ImGui::Separator();
            }
            draw_markdown(ui, step.text);
            if (!p.hl_note.empty() || p.hl_from >= 0) {
                ImGui::Spacing();
                ImGui::TextDisabled("Highlighted in the token strip: positions %d–%d%s%s", p.hl_from, p.hl_to,
                                    p.hl_note.empty() ? "" : ", ", p.hl_note.c_str());
            }
            if (!step.question.empty()) {
                ImGui::Spacing();
                ImGui::TextDisabled("Question (the answer comes with the next step):");
                draw_markdown(ui, step.question);
            }
            ImGui::EndChild();
            ImGui::BeginDisabled(p.step == 0);
            if (ImGui::Button("< Previous")) go_to_lesson_step(ui, p.step - 1);
            ImGui::EndDisabled();
            ImGui::SameLine();
            ImGui::BeginDisabled(p.step + 1 >= n);
            if (ImGui::Button("Next >")) go_to_lesson_step(ui, p.step + 1);
            ImGui::EndDisabled();
            ImGui::SameLine();
            if (ImGui::Button("Again")) go_to_lesson_step(ui, p.step);
            ImGui::SameLine();
            ImGui::TextDisabled("PgUp / PgDn");
        }
        if (!p.error.empty()) ImGui::TextColored(ImVec4(1.0f, 0.45f, 0.4f, 1.0f), "%s", p.error.c_str());
    } else {
        p.focused = false;
    }
    ImGui::End();
    if (!p.open) p.focused = false;
}

bool lesson_highlights(const UiState& ui, int pos) {
    return ui.lesson && ui.lesson->open && pos >= ui.lesson->hl_from && pos <= ui.lesson->hl_to;
}

}  // namespace ts::app
