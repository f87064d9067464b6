// Token display forms for chips, tables and axis labels.
#include "app/ui/token_text.hpp"

#include <cstdio>

namespace ts::app {
namespace {

bool is_continuation(unsigned char c) {
    return (c & 0xC0) == 0x80;
}

// "#id" or "#id?" (snprintf: g++ 12 reports a false -Wrestrict for "#" + std::to_string()).
std::string id_form(int32_t id, bool unknown) {
    char buf[24];
    std::snprintf(buf, sizeof buf, unknown ? "#%d?" : "#%d", int(id));
    return buf;
}

}  // namespace

std::string token_display(const core::Model* model, int32_t id) {
    if (model && (id < 0 || id >= model->hp.n_vocab)) return id_form(id, true);
    if (!model || !model->tokenizer) return id_form(id, false);
    std::string s = model->tokenizer->display(id);
    return s.empty() ? id_form(id, false) : s;
}

std::string elide_utf8(const std::string& s, size_t max_chars) {
    if (max_chars == 0) return {};
    size_t chars = 0, cut = std::string::npos;
    for (size_t i = 0; i < s.size(); ++i) {
        if (is_continuation(static_cast<unsigned char>(s[i]))) continue;
        if (chars == max_chars - 1) cut = i;  // where the "…" goes if the text is too long
        if (++chars > max_chars) return s.substr(0, cut) + "…";
    }
    return s;
}

std::string token_label(const core::Model* model, int32_t id, size_t max_chars) {
    return elide_utf8(token_display(model, id), max_chars);
}

}  // namespace ts::app
