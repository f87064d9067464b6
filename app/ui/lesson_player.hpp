// The lesson player (Help ▸ Lessons): a floating window that walks through a guided lesson (core/lesson/lesson.hpp,
// assets/lessons/*.json), step by step. Each step's actions go to the engine through the same commands the panels
// use (ui_state.hpp: submit_prompt, branch_token, push_sampler_settings, select_layer_head ...), so the app stays
// live: students can poke around and come back with the step buttons. Going to step k replays steps 1..k from the
// sampler's defaults, so every step shows the state its facts were checked in (`tokenscope lesson --check`).
// Keys: PgDn / PgUp (and → / ← while the lesson window has focus) next / previous step.
#pragma once

#include <string>
#include <vector>

#include "app/ui/ui_state.hpp"
#include "core/lesson/lesson.hpp"

namespace ts::app {

struct LessonPlayer {
    std::vector<std::string> files;  // the shipped lessons (scanned when the menu first opens)
    std::vector<std::string> titles;
    bool scanned = false;
    bool open    = false;  // the window is shown
    core::lesson::Lesson lesson;
    int step = 0;                  // 0-based
    std::string error;             // why a lesson could not be opened or a step applied
    int hl_from = -1, hl_to = -1;  // the step's highlight (positions in the token strip), -1: none
    std::string hl_note;
    bool focused = false;  // the window had keyboard focus last frame (then ← → turn the pages)
};

// The Help menu's "Lessons" submenu: one item per shipped lesson.
void draw_lessons_menu(UiState& ui);
// Opens a lesson file in the player at its first step (false, and ui.lesson->error set, when it cannot be read).
bool open_lesson(UiState& ui, const std::string& path);
// Shows step `k` (0-based, clamped): replays the actions of steps 0..k.
void go_to_lesson_step(UiState& ui, int k);
// The player window, when open.
void draw_lesson_player(UiState& ui);
// PgDn / PgUp, and → / ← while the window has focus: next / previous step. True when ← / → belong to the lesson
// this frame (the shell then does not step or rewind).
bool handle_lesson_keys(UiState& ui);
// The positions the current step highlights (from > to when none), for the token strip.
bool lesson_highlights(const UiState& ui, int pos);

}  // namespace ts::app
