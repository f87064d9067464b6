// The KV panel's per-layer table (ARCHITECTURE §6), for a model whose layers' caches differ (gemma4: global layers
// with larger heads than the sliding-window ones, and KV-sharing layers that store nothing and read an earlier
// layer's cache): each layer's row size, what it adds per position, what it holds now, and at 4k and 32k positions.
// Drawn from the view-model (KvView::layers), rebuilt with the snapshot; nothing is computed per frame.
#include <imgui.h>

#include <algorithm>

#include "app/ui/format.hpp"
#include "app/ui/panels.hpp"
#include "app/ui/view_kv.hpp"
#include "app/ui/widgets.hpp"

namespace ts::app {

void draw_kv_layer_table(const KvView& v) {
    if (!ImGui::TreeNodeEx("kv_layers", ImGuiTreeNodeFlags_DefaultOpen, "Per-layer sizes (%zu layers)",
                           v.layers.size()))
        return;
    item_tooltip(
        "Each layer stores K and V rows of its own size (n_head_kv × head_dim of that layer); a layer that reads "
        "an earlier layer's cache stores nothing (0 B).");
    const ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV |
                                  ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_ScrollY;
    const float line   = ImGui::GetTextLineHeightWithSpacing();
    const float height = line * (1.5f + float(std::min<size_t>(v.layers.size(), 6)));
    if (ImGui::BeginTable("kv_layer_sizes", 6, flags, ImVec2(0, height))) {
        ImGui::TableSetupScrollFreeze(0, 1);
        ImGui::TableSetupColumn("layer");
        ImGui::TableSetupColumn("K and V rows", ImGuiTableColumnFlags_WidthStretch);
        ImGui::TableSetupColumn("per token");
        ImGui::TableSetupColumn("now");
        ImGui::TableSetupColumn("at 4k");
        ImGui::TableSetupColumn("at 32k");
        ImGui::TableHeadersRow();
        ImGuiListClipper clip;
        clip.Begin(int(v.layers.size()));
        while (clip.Step())
            for (int i = clip.DisplayStart; i < clip.DisplayEnd; ++i) {
                const KvLayerRow& r = v.layers[size_t(i)];
                ImGui::TableNextRow();
                ImGui::TableSetColumnIndex(0);
                ImGui::Text("%d", r.layer);
                ImGui::TableSetColumnIndex(1);
                ImGui::TextUnformatted(r.what.c_str());
                const uint64_t at[] = {uint64_t(v.kv.n_pos), 4096, 32768};
                ImGui::TableSetColumnIndex(2);
                ImGui::TextUnformatted(format_bytes(r.bytes_per_pos).c_str());
                for (int c = 0; c < 3; ++c) {
                    ImGui::TableSetColumnIndex(3 + c);
                    if (r.source >= 0)
                        ImGui::TextDisabled("0 B");
                    else
                        ImGui::TextUnformatted(format_bytes(r.bytes_per_pos * at[c]).c_str());
                }
            }
        ImGui::EndTable();
    }
    ImGui::TreePop();
}

}  // namespace ts::app
