// The Tokens panel's tokenizer replay window (see token_replay.hpp).
#include "app/ui/token_replay.hpp"

#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "app/gl/colormap.hpp"
#include "app/ui/token_text.hpp"
#include "app/ui/widgets.hpp"
#include "core/trace/derive.hpp"

namespace ts::app {
namespace {

// A symbol of a step: its token's display form, or its bytes written visibly when it has no token yet.
std::string piece_label(const core::Model& model, const std::string& bytes, int32_t id) {
    if (id >= 0) return token_display(&model, id);
    std::string out;
    for (unsigned char c : bytes) {
        if (c >= 0x21 && c < 0x7F) {
            out += char(c);
        } else {
            char buf[8];
            std::snprintf(buf, sizeof buf, "<%02X>", c);
            out += buf;
        }
    }
    return out;
}

const char* step_rule(const core::ReplayStep& st, const core::Vocab& v, char* buf, size_t n) {
    using Kind = core::ReplayStep::Kind;
    switch (st.kind) {
        case Kind::Start:
            return v.kind == core::TokenizerKind::Gpt2 ? "start: one symbol per byte"
                                                       : "start: one symbol per character";
        case Kind::Whole:
            return "the word is a token by itself";
        case Kind::ByteFallback:
            return "byte fallback: symbols without a token become byte tokens";
        case Kind::Merge:
            if (st.rank >= 0)
                std::snprintf(buf, n, "merge rank %d", st.rank);
            else
                std::snprintf(buf, n, "merge, score %.3f", double(st.score));
            return buf;
    }
    return "";
}

// One row of chips: the step's symbols, the merged one highlighted.
void draw_pieces(const UiState& ui, const core::Model& model, const core::ReplayStep& st) {
    ImGui::PushFont(ui.fonts.mono);
    for (size_t i = 0; i < st.pieces.size(); ++i) {
        if (i > 0) ImGui::SameLine(0, 3);
        const std::string label = piece_label(model, st.pieces[i], st.ids[i]);
        const bool merged       = int(i) == st.at;
        const bool none         = st.ids[i] < 0;
        ImGui::PushStyleColor(ImGuiCol_Button, merged ? ImVec4(0.90f, 0.62f, 0.0f, 0.85f)
                                               : none ? ImVec4(0.55f, 0.2f, 0.2f, 0.8f)
                                                      : ImVec4(0.25f, 0.28f, 0.34f, 1.0f));
        ImGui::PushID(int(i));
        ImGui::SmallButton(label.c_str());
        ImGui::PopID();
        ImGui::PopStyleColor();
        if (ImGui::IsItemHovered()) {
            if (none)
                ImGui::SetTooltip("no token for these bytes (yet)");
            else
                ImGui::SetTooltip("id %d", st.ids[i]);
        }
    }
    ImGui::PopFont();
}

// The embedding row of `id`: one thin cell per dimension, blue below zero, orange above, scaled by the row's
// largest magnitude.
void draw_embedding_strip(const UiState& ui, const core::Model& model, int32_t id) {
    const std::vector<float> row = core::derive::embedding_row(model, id);
    if (row.empty()) return;
    float amax = 1e-12f;
    for (float x : row) amax = std::max(amax, std::fabs(x));
    const float w    = std::max(40.0f, ImGui::GetContentRegionAvail().x - ImGui::GetFontSize() * 10.0f);
    const float h    = ImGui::GetTextLineHeight();
    const float cell = w / float(row.size());
    ImGui::PushFont(ui.fonts.mono);
    ImGui::Text("%-10s", token_label(&model, id, 10).c_str());
    ImGui::PopFont();
    ImGui::SameLine();
    const ImVec2 p0 = ImGui::GetCursorScreenPos();
    ImGui::InvisibleButton("strip", ImVec2(w, h));
    ImDrawList* dl = ImGui::GetWindowDrawList();
    for (size_t i = 0; i < row.size(); ++i) {
        const float t = std::clamp(row[i] / amax, -1.0f, 1.0f);
        const ImU32 c = t >= 0 ? IM_COL32(230, 159, 0, int(40 + 215 * t)) : IM_COL32(0, 114, 178, int(40 - 215 * t));
        dl->AddRectFilled(ImVec2(p0.x + cell * float(i), p0.y), ImVec2(p0.x + cell * float(i + 1), p0.y + h), c);
    }
    if (ImGui::IsItemHovered()) {
        const size_t i = size_t(std::clamp((ImGui::GetIO().MousePos.x - p0.x) / cell, 0.0f, float(row.size() - 1)));
        ImGui::SetTooltip("embedding row of id %d, dimension %zu of %zu: %+.4f", id, i, row.size(), double(row[i]));
    }
    ImGui::SameLine();
    ImGui::TextDisabled("|x|max %.3f", double(amax));
}

}  // namespace

std::string word_at(const core::Snapshot& snap, int pos) {
    if (!snap.model || !snap.model->tokenizer || pos < 0 || pos >= int(snap.steps.size())) return {};
    const core::Tokenizer& tok = *snap.model->tokenizer;
    const auto bytes           = [&](int p) { return tok.token_bytes(snap.steps[size_t(p)]->token); };
    const auto starts_word     = [&](int p) {
        const std::string b = bytes(p);
        return b.empty() || b[0] == ' ' || b[0] == '\n';
    };
    int a = pos;
    while (a > 0 && !starts_word(a) && !bytes(a - 1).empty()) --a;
    std::string word;
    for (int p = a; p < int(snap.steps.size()) && (p == a || !starts_word(p)); ++p) word += bytes(p);
    return word;
}

void refresh_token_replay(UiState& ui, const core::Snapshot& snap) {
    UiState::TokenReplayUi& r = ui.token_replay;
    const int sel             = selected_pos(ui, snap);
    if (sel != r.pos) {  // a new selection: its word
        r.pos                  = sel;
        const std::string word = word_at(snap, sel);
        std::snprintf(r.text.data(), r.text.size(), "%s", word.c_str());
    }
    if (!snap.model || !snap.model->tokenizer) {
        r.replay.reset();
        r.error = "this model has no tokenizer";
        return;
    }
    if (r.replay && r.replayed == r.text.data()) return;
    r.replayed = r.text.data();
    auto rep   = snap.model->tokenizer->replay(r.replayed);
    if (!rep) {
        r.replay.reset();
        r.error = rep.error().message;
        return;
    }
    r.error.clear();
    r.replay = std::make_shared<const core::TokenizerReplay>(std::move(*rep));
}

void draw_token_replay_window(UiState& ui, const core::Snapshot& snap) {
    UiState::TokenReplayUi& r = ui.token_replay;
    if (!r.open) return;
    refresh_token_replay(ui, snap);
    ImGui::SetNextWindowSize(ImVec2(ImGui::GetFontSize() * 40.0f, ImGui::GetFontSize() * 28.0f),
                             ImGuiCond_FirstUseEver);
    if (!ImGui::Begin("Tokenizer replay", &r.open)) {
        ImGui::End();
        return;
    }
    ImGui::TextDisabled("The word at position %d, or any text:", r.pos);
    ImGui::SetNextItemWidth(-1.0f);
    ImGui::InputText("##replay_text", r.text.data(), r.text.size());
    item_tooltip("The text to tokenize; selecting another token puts its word here.");
    if (!r.error.empty()) {
        ImGui::TextColored(ImVec4(0.85f, 0.2f, 0.2f, 1.0f), "error: %s", r.error.c_str());
    } else if (r.replay && snap.model) {
        const core::Model& model = *snap.model;
        const core::Vocab& v     = model.tokenizer->vocab();
        ImGui::TextWrapped("%s",
                           v.kind == core::TokenizerKind::Llama
                               ? "SentencePiece-style BPE: the neighbours whose joined piece scores best merge first."
                               : "BPE: the neighbours whose merge was learned first (lowest rank) merge first.");
        ImGui::BeginChild("steps", ImVec2(0, -ImGui::GetTextLineHeightWithSpacing() * 4.5f), true);
        char buf[64];
        for (size_t w = 0; w < r.replay->words.size(); ++w) {
            const core::ReplayWord& word = r.replay->words[w];
            ImGui::PushID(int(w));
            ImGui::TextDisabled("word %zu: \"%s\"", w + 1, piece_label(model, word.text, -1).c_str());
            for (size_t s = 0; s < word.steps.size(); ++s) {
                ImGui::PushID(int(s));
                ImGui::Text("%2zu  %-26s", s, step_rule(word.steps[s], v, buf, sizeof buf));
                ImGui::SameLine();
                draw_pieces(ui, model, word.steps[s]);
                ImGui::PopID();
            }
            ImGui::PopID();
        }
        ImGui::EndChild();
        std::string ids;
        for (int32_t id : r.replay->ids) {
            if (!ids.empty()) ids += ' ';
            ids += std::to_string(id);
        }
        ImGui::Text("ids: %s", ids.c_str());
        // Each id's row of the embedding matrix: what the model starts from at that position.
        for (size_t i = 0; i < r.replay->ids.size() && i < 3; ++i) {
            ImGui::PushID(int(i) + 10000);
            draw_embedding_strip(ui, model, r.replay->ids[i]);
            ImGui::PopID();
        }
        if (r.replay->ids.size() > 3) ImGui::TextDisabled("(the first 3 embedding rows shown)");
    }
    ImGui::End();
}

}  // namespace ts::app
