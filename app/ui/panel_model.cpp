// The Model panel: architecture, hyper-parameters, tokenizer, tensor types with counts and bytes, parameter count,
// memory mapping, and every weight tensor. Everything comes from the ModelSummary prepared at load time.
#include <imgui.h>

#include <algorithm>
#include <cstdio>

#include "app/ui/format.hpp"
#include "app/ui/panels.hpp"
#include "app/ui/widgets.hpp"

namespace ts::app {
namespace {

void draw_types_table(const UiState& ui, const ModelSummary& s) {
    const ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV |
                                  ImGuiTableFlags_BordersOuterH | ImGuiTableFlags_PadOuterX;
    if (!ImGui::BeginTable("types", 5, flags)) return;
    const float em = ImGui::GetFontSize();
    ImGui::TableSetupColumn("Type", ImGuiTableColumnFlags_WidthFixed, em * 5.0f);
    ImGui::TableSetupColumn("Tensors", ImGuiTableColumnFlags_WidthFixed, em * 4.5f);
    ImGui::TableSetupColumn("Parameters", ImGuiTableColumnFlags_WidthFixed, em * 6.5f);
    ImGui::TableSetupColumn("Bytes", ImGuiTableColumnFlags_WidthFixed, em * 6.5f);
    ImGui::TableSetupColumn("Share of bytes", ImGuiTableColumnFlags_WidthStretch);
    ImGui::TableHeadersRow();
    uint64_t count = 0, elements = 0;
    for (const TypeRow& r : s.types) {
        ImGui::TableNextRow();
        ImGui::TableSetColumnIndex(0);
        ImGui::PushID(&r);
        ImGui::Selectable(r.type.c_str(), false, ImGuiSelectableFlags_SpanAllColumns);
        item_tooltip(r.help.c_str());
        ImGui::PopID();
        ImGui::PushFont(ui.fonts.mono);
        ImGui::TableSetColumnIndex(1);
        ImGui::Text("%d", r.count);
        ImGui::TableSetColumnIndex(2);
        ImGui::TextUnformatted(format_count_short(r.elements).c_str());
        ImGui::TableSetColumnIndex(3);
        ImGui::TextUnformatted(format_bytes(r.bytes).c_str());
        ImGui::PopFont();
        ImGui::TableSetColumnIndex(4);
        char pct[16];
        std::snprintf(pct, sizeof pct, "%.1f%%", r.share * 100.0);
        ImGui::ProgressBar(float(r.share), ImVec2(-1.0f, ImGui::GetTextLineHeight()), pct);
        count += uint64_t(r.count);
        elements += r.elements;
    }
    ImGui::TableNextRow();
    ImGui::TableSetColumnIndex(0);
    ImGui::TextDisabled("total");
    ImGui::PushFont(ui.fonts.mono);
    ImGui::TableSetColumnIndex(1);
    ImGui::Text("%llu", static_cast<unsigned long long>(count));
    ImGui::TableSetColumnIndex(2);
    ImGui::TextUnformatted(format_count_short(elements).c_str());
    ImGui::TableSetColumnIndex(3);
    ImGui::TextUnformatted(format_bytes(s.tensor_bytes).c_str());
    ImGui::PopFont();
    ImGui::EndTable();
}

void draw_tensor_list(const UiState& ui, const ModelSummary& s) {
    // No inner scrolling: the panel scrolls as a whole and the clipper skips rows outside the view.
    const ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_PadOuterX;
    if (!ImGui::BeginTable("tensors", 4, flags)) return;
    const float em = ImGui::GetFontSize();
    ImGui::TableSetupColumn("Name", ImGuiTableColumnFlags_WidthStretch);
    ImGui::TableSetupColumn("Type", ImGuiTableColumnFlags_WidthFixed, em * 4.0f);
    ImGui::TableSetupColumn("Shape (ne0 × ne1)", ImGuiTableColumnFlags_WidthFixed, em * 9.0f);
    ImGui::TableSetupColumn("Bytes", ImGuiTableColumnFlags_WidthFixed, em * 6.0f);
    ImGui::TableHeadersRow();
    ImGui::PushFont(ui.fonts.mono);
    ImGuiListClipper clipper;
    clipper.Begin(int(s.tensors.size()));
    while (clipper.Step()) {
        for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i) {
            const TensorRow& t = s.tensors[size_t(i)];
            ImGui::TableNextRow();
            ImGui::TableSetColumnIndex(0);
            ImGui::TextUnformatted(t.name.c_str());
            ImGui::TableSetColumnIndex(1);
            ImGui::TextUnformatted(t.type.c_str());
            ImGui::TableSetColumnIndex(2);
            ImGui::TextUnformatted(t.shape.c_str());
            ImGui::TableSetColumnIndex(3);
            ImGui::TextUnformatted(format_bytes(t.bytes).c_str());
        }
    }
    ImGui::PopFont();
    ImGui::EndTable();
}

}  // namespace

void draw_model_panel(UiState& ui, const ModelSummary& s) {
    const float em = ImGui::GetFontSize();
    ImGui::PushFont(ui.fonts.title);
    ImGui::TextUnformatted(s.title.c_str());
    ImGui::PopFont();
    ImGui::TextDisabled("%s", s.subtitle.c_str());
    ImGui::Spacing();

    // Two columns when there is room: what the file is | the shape of the network.
    const bool wide = ImGui::GetContentRegionAvail().x > em * 46.0f;
    if (wide && ImGui::BeginTable("model_columns", 2, ImGuiTableFlags_SizingStretchSame)) {
        ImGui::TableNextRow();
        ImGui::TableSetColumnIndex(0);
        section_heading(ui, "Overview");
        info_table(ui, "overview", s.overview, em * 8.0f);
        ImGui::Spacing();
        section_heading(ui, "Tokenizer");
        info_table(ui, "tokenizer", s.tokenizer, em * 8.0f);
        ImGui::TableSetColumnIndex(1);
        section_heading(ui, "Hyper-parameters");
        info_table(ui, "hparams", s.hparams, em * 7.0f);
        ImGui::EndTable();
    } else {
        section_heading(ui, "Overview");
        info_table(ui, "overview", s.overview, em * 8.0f);
        ImGui::Spacing();
        section_heading(ui, "Hyper-parameters");
        info_table(ui, "hparams", s.hparams, em * 8.0f);
        ImGui::Spacing();
        section_heading(ui, "Tokenizer");
        info_table(ui, "tokenizer", s.tokenizer, em * 8.0f);
    }
    ImGui::Spacing();
    section_heading(ui, "Tensor types");
    draw_types_table(ui, s);
    ImGui::Spacing();
    char label[64];
    std::snprintf(label, sizeof label, "Tensors (%zu)###tensors", s.tensors.size());
    if (ImGui::CollapsingHeader(label, ImGuiTreeNodeFlags_DefaultOpen)) draw_tensor_list(ui, s);
}

}  // namespace ts::app
