// "Predict the next token" mode (see predict_mode.hpp).
#include "app/ui/predict_mode.hpp"

#include <imgui.h>

#include <algorithm>
#include <cstdio>
#include <span>

#include "app/ui/token_text.hpp"
#include "app/ui/widgets.hpp"

namespace ts::app {
namespace {

const core::sample::StageView* raw_stage(const core::StepTrace& st) {
    for (const auto& s : st.sampler.stages)
        if (s.kind == core::sample::StageKind::Logits) return &s;
    return nullptr;
}

// Full logits where the snapshot has them (the newest position), else none: the recorded list is used.
std::span<const float> logits_for(const core::Snapshot& snap, const core::StepTrace& st) {
    if (snap.logits && st.pos == int(snap.steps.size()) - 1) return *snap.logits;
    return {};
}

// The short list to pick from: the three best candidates and two from further down, shuffled (the same list for
// the same step, so a class sees one list).
std::vector<int32_t> make_choices(const core::StepTrace& st) {
    std::vector<int32_t> out;
    const core::sample::StageView* raw = raw_stage(st);
    if (!raw) return out;
    const auto& top = raw->top;
    for (size_t i = 0; i < std::min<size_t>(3, top.size()); ++i) out.push_back(top[i].id);
    uint64_t x      = uint64_t(st.step) * 6364136223846793005ull + 1442695040888963407ull;
    const auto next = [&] {
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdull;
        x ^= x >> 33;
        return x;
    };
    for (int k = 0; k < 2 && top.size() > 5; ++k) {
        const size_t lo = 5, hi = std::min<size_t>(30, top.size());
        const int32_t id = top[lo + size_t(next() % (hi - lo))].id;
        if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
    }
    for (size_t i = out.size(); i > 1; --i) std::swap(out[i - 1], out[size_t(next() % i)]);
    return out;
}

void reset_for(UiState& ui, const core::StepTrace& st) {
    UiState::PredictMode& pm = ui.predict;
    pm.step                  = st.step;
    pm.committed             = false;
    pm.guess.fill('\0');
    pm.error.clear();
    pm.rating  = core::GuessRating{};
    pm.choices = make_choices(st);
}

void draw_rating(const UiState& ui, const core::Snapshot& snap) {
    const UiState::PredictMode& pm = ui.predict;
    const core::GuessRating& g     = pm.rating;
    if (g.id < 0) {
        ImGui::TextDisabled("Predict mode: no guess for this position (P: off)");
        return;
    }
    ImGui::TextColored(ImVec4(0.0f, 0.62f, 0.45f, 1.0f), "Your guess:");
    ImGui::SameLine();
    ImGui::PushFont(ui.fonts.mono);
    ImGui::TextUnformatted(token_label(snap.model.get(), g.id, 24).c_str());
    ImGui::PopFont();
    ImGui::SameLine();
    if (g.rank > 0)
        ImGui::Text("rank %d of %d, p = %.4f", g.rank, snap.model->hp.n_vocab, double(g.p));
    else
        ImGui::Text("below the %zu candidates recorded here", pm.listed);
    if (g.n_tokens > 1) {
        ImGui::SameLine();
        ImGui::TextDisabled("(your text is %d tokens: the first is rated)", g.n_tokens);
    }
    if (g.spaced) {
        ImGui::SameLine();
        ImGui::TextDisabled("(with the space before it)");
    }
}

}  // namespace

void toggle_predict_mode(UiState& ui) {
    ui.predict.on   = !ui.predict.on;
    ui.predict.step = -1;
}

bool commit_guess_text(UiState& ui, const core::Snapshot& snap, const core::StepTrace& st, const std::string& text) {
    UiState::PredictMode& pm = ui.predict;
    const auto* raw          = raw_stage(st);
    if (!snap.model || !snap.model->tokenizer || !raw) {
        pm.error = "this model has no tokenizer: pick a token from the list";
        return false;
    }
    auto g = core::rate_guess_text(*snap.model->tokenizer, text, logits_for(snap, st), *raw);
    if (!g) {
        pm.error = g.error().message;
        return false;
    }
    pm.rating    = *g;
    pm.listed    = raw->top.size();
    pm.committed = true;
    pm.error.clear();
    return true;
}

void commit_guess_token(UiState& ui, const core::Snapshot& snap, const core::StepTrace& st, int32_t id) {
    UiState::PredictMode& pm = ui.predict;
    const auto* raw          = raw_stage(st);
    const core::sample::StageView none;
    pm.rating    = core::rate_guess_token(id, logits_for(snap, st), raw ? *raw : none);
    pm.listed    = raw ? raw->top.size() : 0;
    pm.committed = true;
    pm.error.clear();
}

bool predict_gate(UiState& ui, const core::Snapshot& snap, const core::StepTrace& st) {
    UiState::PredictMode& pm = ui.predict;
    if (!pm.on) return false;
    if (pm.step != st.step) reset_for(ui, st);
    if (pm.committed) {
        draw_rating(ui, snap);
        return false;
    }
    section_heading(ui, "Predict the next token");
    ImGui::Text("What comes after position %d", st.pos);
    ImGui::SameLine();
    ImGui::PushFont(ui.fonts.mono);
    ImGui::TextUnformatted(token_label(snap.model.get(), st.token, 24).c_str());
    ImGui::PopFont();
    ImGui::SameLine(0, 2);
    ImGui::TextUnformatted("?");
    disabled_wrapped("The distribution stays hidden until you guess.");
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 12.0f);
    const bool enter =
        ImGui::InputText("##guess", pm.guess.data(), pm.guess.size(), ImGuiInputTextFlags_EnterReturnsTrue);
    item_tooltip("Type a word (its first token is rated) and press Enter.");
    ImGui::SameLine();
    if (ImGui::Button("Guess") || enter) commit_guess_text(ui, snap, st, pm.guess.data());
    if (!pm.committed && !pm.choices.empty()) {
        ImGui::TextDisabled("or pick one:");
        ImGui::PushFont(ui.fonts.mono);
        for (size_t i = 0; i < pm.choices.size() && !pm.committed; ++i) {
            ImGui::SameLine();
            ImGui::PushID(int(i));
            if (ImGui::Button(token_label(snap.model.get(), pm.choices[i], 16).c_str()))
                commit_guess_token(ui, snap, st, pm.choices[i]);
            ImGui::PopID();
        }
        ImGui::PopFont();
    }
    if (!pm.error.empty()) ImGui::TextColored(ImVec4(0.85f, 0.2f, 0.2f, 1.0f), "%s", pm.error.c_str());
    if (ImGui::SmallButton("Show the distribution")) commit_guess_token(ui, snap, st, -1);
    item_tooltip("Skip the guess for this position.");
    ImGui::SameLine();
    ImGui::TextDisabled("P: predict mode off");
    return !pm.committed;
}

}  // namespace ts::app
