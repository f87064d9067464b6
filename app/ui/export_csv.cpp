// The panel on screen as CSV (export_csv.hpp).
#include "app/ui/export_csv.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>

#include "app/ui/settings.hpp"
#include "core/trace/csv.hpp"

namespace ts::app {
namespace {

std::optional<PanelCsv> nothing(std::string* why, const char* reason) {
    if (why) *why = reason;
    return std::nullopt;
}

std::string at_layer_head(const char* what, int layer, int head) {
    return std::string(what) + "-L" + std::to_string(layer) + "H" + std::to_string(head);
}

}  // namespace

std::optional<PanelCsv> panel_csv(UiState& ui, CenterTab tab, std::string* why) {
    if (!ui.snap || !ui.snap->model || ui.snap->steps.empty()) return nothing(why, "nothing evaluated yet");
    const core::Snapshot& snap = *ui.snap;
    const core::Model& model   = *snap.model;
    std::vector<int32_t> tokens;
    for (const auto& st : snap.steps) tokens.push_back(st->token);
    const int pos            = selected_pos(ui, snap);
    const core::Derived* d   = current_derived(ui, snap);
    const Selection& sel     = ui.sel;
    const std::string at_pos = "-pos" + std::to_string(pos);
    switch (tab) {
        case CenterTab::Attention:
            if (!d) return nothing(why, "the attention weights are still being derived");
            if (ui.attention.mode == AttentionMode::HeadMean) {
                if (!d->has_summary) return nothing(why, "the mean over the heads is still being derived");
                return PanelCsv{"attention-L" + std::to_string(sel.layer) + "-mean",
                                core::csv::attention_mean(model, d->summary, tokens)};
            }
            if (d->has_matrix && d->matrix.layer == sel.layer && d->matrix.head == sel.head)
                return PanelCsv{at_layer_head("attention", sel.layer, sel.head),
                                core::csv::attention_matrix(model, d->matrix, tokens)};
            if (d->has_heads && sel.head < int(d->heads.size()))
                return PanelCsv{at_layer_head("attention", sel.layer, sel.head),
                                core::csv::attention_matrix(model, d->heads[size_t(sel.head)], tokens)};
            return nothing(why, "the attention weights are still being derived");
        case CenterTab::QkScores:
            if (!d || !d->has_row) return nothing(why, "the scores are still being derived");
            return PanelCsv{at_layer_head("qk", d->row.layer, d->row.head) + "-pos" + std::to_string(d->row.pos),
                            core::csv::score_row(model, d->row, tokens)};
        case CenterTab::Softmax:
        case CenterTab::Logits: {
            const core::StepTrace* st = selected_step(ui, snap);
            if (!st || !st->has_next) return nothing(why, "this position's next-token distribution was not computed");
            const ShownSampler shown = shown_sampler(ui, snap, *st);
            if (tab == CenterTab::Softmax)
                return PanelCsv{"sampler" + at_pos, core::csv::sampler_stages(model, *shown.view)};
            return PanelCsv{"logits" + at_pos, core::csv::candidates(model, *shown.view)};
        }
        case CenterTab::Journey:
            if (!d || !d->has_lens) return nothing(why, "the logit lens is still being derived");
            return PanelCsv{"lens-pos" + std::to_string(d->lens_pos), core::csv::logit_lens(model, d->lens)};
        default:
            return nothing(why, "this panel has no table of numbers; File > Export the context writes the tokens");
    }
}

std::optional<PanelCsv> context_csv(const UiState& ui) {
    if (!ui.snap || !ui.snap->model || ui.snap->steps.empty()) return std::nullopt;
    return PanelCsv{"context", core::csv::context(*ui.snap->model, ui.snap->steps)};
}

std::string write_csv(UiState& ui, const PanelCsv& csv, const std::string& folder) {
    const std::string path = dated_path(folder, "tokenscope-" + csv.name, ".csv", std::time(nullptr));
    std::FILE* f           = std::fopen(path.c_str(), "wb");
    const bool ok          = f && std::fwrite(csv.text.data(), 1, csv.text.size(), f) == csv.text.size();
    const int err          = errno;
    if (f && std::fclose(f) != 0) {
        show_error(ui, "Cannot export the numbers", path + ": write failed");
        return {};
    }
    if (!ok) {
        show_error(ui, "Cannot export the numbers", path + ": " + std::strerror(err));
        return {};
    }
    ui.status = "Exported " + path;
    return path;
}

}  // namespace ts::app
