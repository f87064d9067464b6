// The Interventions strip's commands (ui_state.hpp): each edits the list and sends all of it to the worker, which
// re-evaluates what changed (core::Session::set_interventions).
#include <string>
#include <vector>

#include "app/ui/ui_state.hpp"

namespace ts::app {
namespace {

void send(UiState& ui, std::vector<core::Intervention> list) {
    if (!ui.bridge.attached()) return;
    ui.interventions_sent   = list;
    ui.interventions_ticket = ui.bridge.push(core::cmd::SetInterventions{std::move(list)});
}

}  // namespace

const std::vector<core::Intervention>& current_interventions(const UiState& ui) {
    static const std::vector<core::Intervention> kNone;
    const bool in_flight =
        ui.interventions_ticket > 0 && (!ui.snap || ui.snap->commands_done < ui.interventions_ticket);
    if (in_flight) return ui.interventions_sent;
    return ui.snap && ui.snap->interventions ? *ui.snap->interventions : kNone;
}

bool add_intervention(UiState& ui, const std::string& spec) {
    if (!ui.model || !ui.bridge.attached()) {
        ui.intervene_error = "load a model first";
        return false;
    }
    auto iv = core::parse_intervention(spec, ui.model->hp);
    if (!iv) {
        ui.intervene_error = iv.error().message;
        return false;
    }
    if (iv->kind == core::InterventionKind::Steer && iv->steer_a.empty()) {
        ui.intervene_error = "a steer needs two texts to make its vector: steer:L:ALPHA:TEXT_A|TEXT_B";
        return false;
    }
    ui.intervene_error.clear();
    std::vector<core::Intervention> list = current_interventions(ui);
    list.push_back(std::move(*iv));
    send(ui, std::move(list));
    return true;
}

void remove_intervention(UiState& ui, int index) {
    std::vector<core::Intervention> list = current_interventions(ui);
    if (index < 0 || index >= int(list.size())) return;
    list.erase(list.begin() + index);
    send(ui, std::move(list));
}

void toggle_intervention(UiState& ui, int index) {
    std::vector<core::Intervention> list = current_interventions(ui);
    if (index < 0 || index >= int(list.size())) return;
    list[size_t(index)].enabled = !list[size_t(index)].enabled;
    send(ui, std::move(list));
}

void set_intervention_factor(UiState& ui, int index, float factor) {
    std::vector<core::Intervention> list = current_interventions(ui);
    if (index < 0 || index >= int(list.size()) || list[size_t(index)].factor == factor) return;
    list[size_t(index)].factor = factor;
    send(ui, std::move(list));
}

}  // namespace ts::app
