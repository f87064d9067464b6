// Shared drawing helpers.
#include "app/ui/widgets.hpp"

#include <imgui.h>

#include <algorithm>
#include <cstdio>

namespace ts::app {

void item_tooltip(const char* text) {
    if (!ImGui::IsItemHovered()) return;
    ImGui::BeginTooltip();
    ImGui::PushTextWrapPos(ImGui::GetFontSize() * 28.0f);
    ImGui::TextUnformatted(text);
    ImGui::PopTextWrapPos();
    ImGui::EndTooltip();
}

std::string elide_to_width(std::string_view text, float max_width) {
    auto width = [](std::string_view t) { return ImGui::CalcTextSize(t.data(), t.data() + t.size()).x; };
    if (width(text) <= max_width) return std::string(text);
    static constexpr std::string_view kEllipsis = "…";
    size_t end                                  = text.size();
    while (end > 0) {
        do --end;  // back to the start of the previous UTF-8 character
        while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80);
        std::string out(text.substr(0, end));
        out += kEllipsis;
        if (end > 0 && width(out) <= max_width) return out;
    }
    return {};
}

namespace {

// The slider just drawn was `frame_w` wide (its label, if any, is to the right): its value text on a backing.
void redraw_slider_value(const char* text, float frame_w) {
    const ImVec2 a  = ImGui::GetItemRectMin();
    const float h   = ImGui::GetItemRectSize().y;
    const ImVec2 ts = ImGui::CalcTextSize(text);
    if (ts.x <= 0.0f) return;
    const ImVec2 c(a.x + frame_w * 0.5f, a.y + h * 0.5f);
    const ImVec2 pad(3.0f, 1.0f);
    ImDrawList* dl = ImGui::GetWindowDrawList();
    dl->AddRectFilled(ImVec2(c.x - ts.x * 0.5f - pad.x, c.y - ts.y * 0.5f - pad.y),
                      ImVec2(c.x + ts.x * 0.5f + pad.x, c.y + ts.y * 0.5f + pad.y),
                      ImGui::GetColorU32(ImGuiCol_WindowBg, 0.8f), 3.0f);
    dl->AddText(ImVec2(c.x - ts.x * 0.5f, c.y - ts.y * 0.5f), ImGui::GetColorU32(ImGuiCol_Text), text);
}

}  // namespace

bool slider_int(const char* label, int* v, int v_min, int v_max, const char* format) {
    const float w      = ImGui::CalcItemWidth();
    const bool changed = ImGui::SliderInt(label, v, v_min, v_max, format);
    char text[64];
    std::snprintf(text, sizeof text, format, *v);
    redraw_slider_value(text, w);
    return changed;
}

void layer_head_sliders(UiState& ui, const core::Hparams& hp, bool head_enabled) {
    int layer = ui.sel.layer, head = ui.sel.head;
    const float em = ImGui::GetFontSize();
    ImGui::SetNextItemWidth(em * 8.0f);
    if (slider_int("layer", &layer, 0, std::max(0, hp.n_layer - 1))) select_layer_head(ui, layer, head);
    item_tooltip("Which transformer block's attention to show ([ and ] with Shift step through layers).");
    ImGui::SameLine();
    ImGui::BeginDisabled(!head_enabled);
    ImGui::SetNextItemWidth(em * 8.0f);
    if (slider_int("head", &head, 0, std::max(0, hp.n_head - 1))) select_layer_head(ui, layer, head);
    item_tooltip(
        "Which attention head of the layer: each head has its own queries and keys, so it looks at "
        "different tokens ([ and ] step through heads).");
    ImGui::EndDisabled();
}

std::string kv_sharing_note(const core::Hparams& hp, int head, int layer) {
    const bool in_layer = layer >= 0 && layer < hp.n_layer;
    const int n_head_kv = in_layer ? hp.n_head_kv_of(layer) : hp.n_head_kv;  // gemma4's differ per layer
    // A gemma4 KV-sharing layer reads an earlier layer's keys and values.
    const std::string from = in_layer && !hp.has_own_kv(layer)
                                 ? " (in layer " + std::to_string(hp.kv_source(layer)) + "'s cache)"
                                 : std::string();
    if (n_head_kv <= 0 || n_head_kv >= hp.n_head || hp.n_head % n_head_kv != 0) return {};
    const int group = hp.n_head / n_head_kv, kv = head / group;
    return "head " + std::to_string(head) + " reads K/V head " + std::to_string(kv) + from + ", shared with heads " +
           std::to_string(kv * group) + "–" + std::to_string(kv * group + group - 1);
}

bool slider_float(const char* label, float* v, float v_min, float v_max, const char* format) {
    const float w      = ImGui::CalcItemWidth();
    const bool changed = ImGui::SliderFloat(label, v, v_min, v_max, format);
    char text[64];
    std::snprintf(text, sizeof text, format, double(*v));
    redraw_slider_value(text, w);
    return changed;
}

void section_heading(const UiState& ui, const char* text) {
    ImGui::PushFont(ui.fonts.title);
    ImGui::TextUnformatted(text);
    ImGui::PopFont();
    ImGui::Separator();
}

void info_table(const UiState& ui, const char* id, const std::vector<InfoRow>& rows, float label_width) {
    const ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_PadOuterX;
    if (!ImGui::BeginTable(id, 2, flags)) return;
    ImGui::TableSetupColumn("label", ImGuiTableColumnFlags_WidthFixed, label_width);
    ImGui::TableSetupColumn("value", ImGuiTableColumnFlags_WidthStretch);
    for (const InfoRow& r : rows) {
        ImGui::TableNextRow();
        ImGui::TableSetColumnIndex(0);
        ImGui::PushID(&r);
        ImGui::Selectable(r.label.c_str(), false, ImGuiSelectableFlags_SpanAllColumns);
        item_tooltip(r.help.c_str());
        ImGui::PopID();
        ImGui::TableSetColumnIndex(1);
        ImGui::PushFont(ui.fonts.mono);
        ImGui::TextUnformatted(r.value.c_str());
        ImGui::PopFont();
    }
    ImGui::EndTable();
}

void disabled_wrapped(const char* text) {
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
    ImGui::PushTextWrapPos(0.0f);
    ImGui::TextUnformatted(text);
    ImGui::PopTextWrapPos();
    ImGui::PopStyleColor();
}

void centered_text(const char* text, float wrap_width) {
    const float avail = ImGui::GetContentRegionAvail().x;
    const float w     = std::min(ImGui::CalcTextSize(text, nullptr, false, wrap_width).x, avail);
    ImGui::SetCursorPosX(ImGui::GetCursorPosX() + std::max(0.0f, (avail - w) * 0.5f));
    ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + w);
    ImGui::TextUnformatted(text);
    ImGui::PopTextWrapPos();
}

const core::StepTrace* step_with_next_token(const UiState& ui, const core::Snapshot& snap, const char* nothing_yet) {
    const core::StepTrace* st = selected_step(ui, snap);
    if (!snap.model || !st) {
        disabled_wrapped(nothing_yet);
        return nullptr;
    }
    if (st->sampler.stages.empty()) {
        disabled_wrapped(
            "This position's distribution is not known: it was evaluated again after a rewind, without its "
            "logits. Reset or a new prompt computes it.");
        return nullptr;
    }
    return st;
}

void draw_what_if_mark(int pos, bool complete, bool sampled) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "what-if at position %d — not what was %s", pos, sampled ? "sampled" : "there");
    ImGui::TextColored(ImVec4(0.90f, 0.62f, 0.0f, 1.0f), "%s", buf);
    item_tooltip(complete ? "The sliders' settings applied to the logits this position recorded: what would have "
                            "been drawn here. The token that was actually drawn (or the prompt's next token) stays in "
                            "the sequence; Apply from here generates again from this position with these settings."
                          : "The sliders' settings applied to the best candidates this position recorded (the ones "
                            "listed): what would have been drawn here. Candidates below the list are left out, so "
                            "probabilities after the raw-logits stage are renormalised over the list. The token that "
                            "was actually drawn stays in the sequence; Apply from here generates again with these "
                            "settings.");
}

bool path_modal(const PathModal& m, std::array<char, 1024>& path) {
    const float em = ImGui::GetFontSize();
    ImGui::SetNextWindowPos(ImGui::GetMainViewport()->GetCenter(), ImGuiCond_Appearing, ImVec2(0.5f, 0.5f));
    ImGui::SetNextWindowSize(ImVec2(em * 34.0f, 0.0f), ImGuiCond_Appearing);
    if (!ImGui::BeginPopupModal(m.title, nullptr, ImGuiWindowFlags_NoSavedSettings)) return false;
    ImGui::TextUnformatted(m.prompt);
    if (ImGui::IsWindowAppearing()) ImGui::SetKeyboardFocusHere();
    ImGui::SetNextItemWidth(-1.0f);
    const bool enter = ImGui::InputText("##path", path.data(), path.size(), ImGuiInputTextFlags_EnterReturnsTrue);
    item_tooltip(m.field_tip);
    if (m.note) ImGui::TextDisabled("%s", m.note);
    const bool accepted = ImGui::Button(m.accept, ImVec2(em * 6.0f, 0.0f)) || enter;
    if (m.accept_tip) item_tooltip(m.accept_tip);
    ImGui::SameLine();
    const bool cancel = ImGui::Button("Cancel", ImVec2(em * 6.0f, 0.0f)) ||
                        ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape), false);
    if (accepted || cancel) ImGui::CloseCurrentPopup();
    ImGui::EndPopup();
    return accepted;
}

}  // namespace ts::app
