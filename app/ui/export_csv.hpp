// File ▸ Export numbers (Ctrl+E): the numbers of the panel on screen as a CSV file (core/trace/csv.hpp), for
// spreadsheets and handouts. The panel's own numbers, from the snapshot and its derived data: nothing is computed
// here.
#pragma once

#include <optional>
#include <string>

#include "app/ui/ui_state.hpp"

namespace ts::app {

struct PanelCsv {
    std::string name;  // part of the file name: "attention-L1H2", "logits-pos7"
    std::string text;  // the CSV
};

// The table of `tab` as it is on screen now; nullopt when that panel has no table of numbers, or its numbers are
// not there yet (no model, nothing evaluated, the worker still deriving them). `why` (optional) says which.
std::optional<PanelCsv> panel_csv(UiState& ui, CenterTab tab, std::string* why = nullptr);
// The context (every position: token, source, probability) as CSV; nullopt when nothing is evaluated.
std::optional<PanelCsv> context_csv(const UiState& ui);

// Writes `csv` to `folder`/tokenscope-NAME-YYYYMMDD-HHMMSS.csv (a new name; the explorer passes
// home_folder("Documents")) and says where in the status bar, or shows the error. Returns the path ("" on failure).
std::string write_csv(UiState& ui, const PanelCsv& csv, const std::string& folder);

}  // namespace ts::app
