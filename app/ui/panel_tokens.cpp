// The token strip: every position as a chip (its display form), prompt tokens coloured by their surprisal (−log2 of
// the probability the position before gave them; magma) or grey, generated ones coloured by the probability they
// had when chosen (viridis), branch-forced ones outlined; the proposed next token as a ghost chip
// at the end. Click a chip to make it the query position of every panel. Chips are laid out once per snapshot
// version and width, and only the visible lines are drawn.
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "app/gl/colormap.hpp"
#include "app/ui/lesson_player.hpp"
#include "app/ui/panels.hpp"
#include "app/ui/token_replay.hpp"
#include "app/ui/token_text.hpp"
#include "app/ui/widgets.hpp"

namespace ts::app {

struct TokensView {
    uint64_t version = 0;
    float width      = -1.0f;
    ImFont* font     = nullptr;
    struct Chip {
        std::string text;
        float w = 0;
        ImVec2 at;  // top-left, relative to the strip's origin
        int line = 0;
    };
    std::vector<Chip> chips;      // [pos], then the proposal (when there is one)
    std::vector<int> line_start;  // first chip of each line
    bool has_proposal = false;
    float height      = 0;
    ImVec2 origin;  // screen position of the strip's top-left when last drawn
};

namespace {

constexpr size_t kChipChars = 18;

constexpr ImU32 kPromptGrey = IM_COL32(64, 68, 78, 255);

// The surprisal of a token in bits, −log2 p; NaN when p is unknown (position 0).
float surprisal_bits(const core::StepTrace& st) {
    return std::isfinite(st.p_token) ? (st.p_token > 0 ? -std::log2(st.p_token) : INFINITY) : NAN;
}

// The bits at the bright end of the surprisal scale: log2 of the vocabulary (a uniform guess), at least 1.
float max_surprisal(const core::Snapshot& snap) {
    return snap.model ? std::max(1.0f, std::log2(float(snap.model->hp.n_vocab))) : 16.0f;
}

ImU32 chip_fill(const UiState& ui, const core::Snapshot& snap, const core::StepTrace& st) {
    if (st.source == core::TokenSource::Prompt) {
        const float bits = surprisal_bits(st);
        if (!ui.prompt_surprisal || std::isnan(bits)) return kPromptGrey;
        return gl::colormap_u32(gl::Colormap::Magma, std::clamp(bits / max_surprisal(snap), 0.0f, 1.0f));
    }
    const float p = std::isfinite(st.p_token) ? st.p_token : 0.0f;
    return gl::colormap_u32(gl::Colormap::Viridis, p);
}

ImU32 chip_text(ImU32 fill) {
    const gl::Rgb c{float(fill & 0xFF) / 255.0f, float((fill >> 8) & 0xFF) / 255.0f,
                    float((fill >> 16) & 0xFF) / 255.0f};
    return gl::luminance(c) > 0.45f ? IM_COL32(12, 12, 16, 255) : IM_COL32(240, 240, 245, 255);
}

void rebuild(TokensView& v, const UiState& ui, const core::Snapshot& snap, float width) {
    v.version = snap.version;
    v.width   = width;
    v.font    = ImGui::GetFont();
    v.chips.clear();
    v.line_start.clear();
    const core::Model* m = snap.model.get();
    const float pad_x = 5.0f, gap = 3.0f;
    const float h = ImGui::GetTextLineHeight() + 6.0f;
    for (const auto& st : snap.steps) v.chips.push_back({token_label(m, st->token, kChipChars), 0, {}, 0});
    v.has_proposal = !snap.steps.empty() && snap.steps.back()->has_next && snap.n_pending == 0;
    if (v.has_proposal) v.chips.push_back({token_label(m, snap.steps.back()->next_token, kChipChars), 0, {}, 0});
    float x = 0, y = 0;
    int line = 0;
    v.line_start.push_back(0);
    for (size_t i = 0; i < v.chips.size(); ++i) {
        TokensView::Chip& c = v.chips[i];
        c.w                 = ImGui::CalcTextSize(c.text.c_str()).x + 2.0f * pad_x;
        if (x > 0 && x + c.w > width) {
            x = 0;
            y += h + gap;
            ++line;
            v.line_start.push_back(int(i));
        }
        c.at   = ImVec2(x, y);
        c.line = line;
        x += c.w + gap;
    }
    v.height = v.chips.empty() ? 0.0f : y + h;
    (void)ui;
}

void chip_tooltip(const UiState& ui, const core::Snapshot& snap, int i, bool proposal) {
    const core::Model* m = snap.model.get();
    ImGui::BeginTooltip();
    if (proposal) {
        const core::StepTrace& last = *snap.steps.back();
        ImGui::PushFont(ui.fonts.mono);
        ImGui::Text("%s", token_display(m, last.next_token).c_str());
        ImGui::PopFont();
        ImGui::Text("proposed for position %d · id %d · p = %.4f", last.pos + 1, last.next_token, last.next_p);
        ImGui::TextDisabled("Step (→) appends it; the sampler sliders change it.");
    } else {
        const core::StepTrace& st = *snap.steps[size_t(i)];
        ImGui::PushFont(ui.fonts.mono);
        ImGui::Text("%s", token_display(m, st.token).c_str());
        ImGui::PopFont();
        const char* src = st.source == core::TokenSource::Prompt   ? "prompt"
                          : st.source == core::TokenSource::Forced ? "chosen by you (branch)"
                                                                   : "sampled";
        if (std::isfinite(st.p_token) && st.source == core::TokenSource::Prompt)
            ImGui::Text("position %d · id %d · %s · p = %.4f · surprisal %.2f bits", st.pos, st.token, src, st.p_token,
                        surprisal_bits(st));
        else if (std::isfinite(st.p_token))
            ImGui::Text("position %d · id %d · %s · p = %.4f", st.pos, st.token, src, st.p_token);
        else
            ImGui::Text("position %d · id %d · %s", st.pos, st.token, src);
        ImGui::TextDisabled("Click: show this position as the query in every panel.");
    }
    ImGui::EndTooltip();
}

// A horizontal colour scale of width w in the current line.
void scale_bar(gl::Colormap map, float w, float h) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 p = ImGui::GetCursorScreenPos();
    for (int i = 0; i < 24; ++i) {
        const float x0 = p.x + w * float(i) / 24.0f, x1 = p.x + w * float(i + 1) / 24.0f;
        dl->AddRectFilled(ImVec2(x0, p.y + 2), ImVec2(x1, p.y + h - 2),
                          gl::colormap_u32(map, (float(i) + 0.5f) / 24.0f));
    }
    ImGui::Dummy(ImVec2(w, h));
}

void draw_legend(UiState& ui, const core::Snapshot& snap) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const float h  = ImGui::GetTextLineHeight();
    ImGui::PushStyleVar(ImGuiStyleVar_FramePadding, ImVec2(2.0f, 0.0f));
    ImGui::Checkbox("##surprisal", &ui.prompt_surprisal);
    ImGui::PopStyleVar();
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip(
            "Colour the prompt's tokens by their surprisal: −log2 of the probability the model gave each one at the "
            "position before (magma: dark = expected, bright = surprising; the bright end is log2 of the vocabulary, "
            "a uniform guess). Off: the prompt is grey. The first token has nothing before it and stays grey.");
    ImGui::SameLine(0, 4);
    ImVec2 p = ImGui::GetCursorScreenPos();
    if (ui.prompt_surprisal) {
        ImGui::TextDisabled("prompt: surprisal 0");
        ImGui::SameLine();
        scale_bar(gl::Colormap::Magma, h * 4.0f, h);
        ImGui::SameLine();
        ImGui::TextDisabled("%.0f bits", double(max_surprisal(snap)));
    } else {
        ImGui::TextDisabled("prompt");
        ImGui::SameLine();
        p = ImGui::GetCursorScreenPos();
        dl->AddRectFilled(p, ImVec2(p.x + h, p.y + h), kPromptGrey, 3.0f);
        ImGui::Dummy(ImVec2(h, h));
    }
    ImGui::SameLine();
    ImGui::TextDisabled("  generated: p 0");
    ImGui::SameLine();
    scale_bar(gl::Colormap::Viridis, h * 6.0f, h);
    ImGui::SameLine();
    ImGui::TextDisabled("1 · orange: your choice · dashed: next");
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip(
            "Prompt chips are coloured by their surprisal (the checkbox; grey when off). Generated chips are "
            "coloured by the probability the sampler gave "
            "them when they were chosen (viridis: dark = unlikely, yellow = sure). An orange outline "
            "marks a token you chose in the Logits panel; the dashed chip is the proposed next token.");
}

}  // namespace

void draw_tokens_panel(UiState& ui, const core::Snapshot& snap) {
    const int n   = int(snap.steps.size());
    const int sel = selected_pos(ui, snap);
    ImGui::PushFont(ui.fonts.title);
    ImGui::TextUnformatted("Tokens");
    ImGui::PopFont();
    ImGui::SameLine();
    if (n == 0) {
        ImGui::TextDisabled(snap.n_pending > 0 ? "evaluating the prompt …" : "type a prompt and press Step (→)");
        return;
    }
    ImGui::TextDisabled("%d positions · query: %d%s", n, sel, ui.sel.pos < 0 ? " (newest)" : "");
    ImGui::SameLine();
    if (ImGui::SmallButton("replay")) ui.token_replay.open = !ui.token_replay.open;
    item_tooltip(
        "Replay the tokenizer on the selected token's word: its first symbols, every merge in the order the "
        "tokenizer applies them, byte fallback, the ids, and their embedding rows.");
    ImGui::SameLine();
    draw_legend(ui, snap);
    draw_token_replay_window(ui, snap);

    ImGui::BeginChild("chips", ImVec2(0, 0), false);
    if (!ui.views.tokens) ui.views.tokens = std::make_shared<TokensView>();
    TokensView& v     = *ui.views.tokens;
    const float width = ImGui::GetContentRegionAvail().x;
    const bool moved  = v.version != snap.version;
    if (moved || v.width != width || v.font != ImGui::GetFont()) rebuild(v, ui, snap, width);

    const ImVec2 origin = ImGui::GetCursorScreenPos();
    v.origin            = origin;
    ImGui::Dummy(ImVec2(width, v.height));
    const float line_h = ImGui::GetTextLineHeight() + 6.0f;
    const float view_h = ImGui::GetWindowHeight();
    // Follow the newest token while the selection follows it.
    if (moved && ui.sel.pos < 0) ImGui::SetScrollY(std::max(0.0f, v.height - view_h));

    ImDrawList* dl = ImGui::GetWindowDrawList();
    // Chips are filled without anti-aliased edges: a software rasteriser (llvmpipe) spends most of a frame full of
    // chips on the fringe triangles of their rounded corners (44 ms → 12 ms at 1600×1000 with 500 chips).
    const ImDrawListFlags dl_flags = dl->Flags;
    dl->Flags &= ~ImDrawListFlags_AntiAliasedFill;
    const ImVec2 mouse = ImGui::GetIO().MousePos;
    const bool hovered = ImGui::IsWindowHovered();
    const float top    = ImGui::GetWindowPos().y;  // cull chips outside the visible band (screen coordinates)
    const float bottom = top + view_h;
    int hovered_chip   = -1;
    for (size_t i = 0; i < v.chips.size(); ++i) {
        const TokensView::Chip& c = v.chips[i];
        const ImVec2 a(origin.x + c.at.x, origin.y + c.at.y);
        if (a.y + line_h < top) continue;
        if (a.y > bottom) break;
        const ImVec2 b(a.x + c.w, a.y + line_h);
        const bool proposal = v.has_proposal && int(i) == n;
        if (proposal) {
            // Ghost chip: a dashed outline, what Step would append.
            const ImU32 col = IM_COL32(170, 175, 190, 255);
            for (float x = a.x; x < b.x; x += 6.0f) {
                dl->AddLine(ImVec2(x, a.y), ImVec2(std::min(x + 3.0f, b.x), a.y), col);
                dl->AddLine(ImVec2(x, b.y - 1), ImVec2(std::min(x + 3.0f, b.x), b.y - 1), col);
            }
            dl->AddLine(ImVec2(a.x, a.y), ImVec2(a.x, b.y), col);
            dl->AddLine(ImVec2(b.x - 1, a.y), ImVec2(b.x - 1, b.y), col);
            dl->AddText(ImVec2(a.x + 5.0f, a.y + 3.0f), IM_COL32(190, 195, 210, 255), c.text.c_str());
        } else {
            const core::StepTrace& st = *snap.steps[i];
            const ImU32 fill          = chip_fill(ui, snap, st);
            dl->AddRectFilled(a, b, fill, 3.0f);
            if (st.source == core::TokenSource::Forced) dl->AddRect(a, b, IM_COL32(252, 160, 72, 255), 4.0f, 0, 2.0f);
            if (int(i) == sel)
                dl->AddRect(ImVec2(a.x - 2, a.y - 2), ImVec2(b.x + 2, b.y + 2), IM_COL32_WHITE, 5.0f, 0, 2.0f);
            if (lesson_highlights(ui, int(i)))  // the lesson step's highlight (lesson_player.hpp)
                dl->AddRect(ImVec2(a.x - 4, a.y - 4), ImVec2(b.x + 4, b.y + 4), IM_COL32(80, 200, 255, 255), 6.0f, 0,
                            2.5f);
            dl->AddText(ImVec2(a.x + 5.0f, a.y + 3.0f), chip_text(fill), c.text.c_str());
        }
        if (hovered && mouse.x >= a.x && mouse.x < b.x && mouse.y >= a.y && mouse.y < b.y) hovered_chip = int(i);
    }
    dl->Flags = dl_flags;
    if (hovered_chip >= 0) {
        const bool proposal = v.has_proposal && hovered_chip == n;
        chip_tooltip(ui, snap, hovered_chip, proposal);
        if (!proposal && ImGui::IsMouseClicked(0)) select_position(ui, hovered_chip);
    }
    ImGui::EndChild();
}

bool token_chip_rect(const UiState& ui, int pos, float rect[4]) {
    if (!ui.views.tokens || pos < 0 || size_t(pos) >= ui.views.tokens->chips.size()) return false;
    const TokensView& v       = *ui.views.tokens;
    const TokensView::Chip& c = v.chips[size_t(pos)];
    rect[0]                   = v.origin.x + c.at.x;
    rect[1]                   = v.origin.y + c.at.y;
    rect[2]                   = rect[0] + c.w;
    rect[3]                   = rect[1] + ImGui::GetTextLineHeight() + 6.0f;
    return true;
}

}  // namespace ts::app
