// Soft wrapping for the prompt box (see prompt_wrap.hpp).
#include "app/ui/prompt_wrap.hpp"

#include <algorithm>

namespace ts::app {
namespace {

bool is_continuation(char c) {
    return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

// The offset after the UTF-8 character that starts at i (stray continuation bytes count as characters of their own).
size_t next_char(std::string_view s, size_t i) {
    ++i;
    while (i < s.size() && is_continuation(s[i])) ++i;
    return i;
}

size_t prev_char(std::string_view s, size_t i) {
    if (i == 0) return 0;
    --i;
    while (i > 0 && is_continuation(s[i])) --i;
    return i;
}

}  // namespace

WrappedText wrap_text(std::string_view text, float width, const MeasureText& measure) {
    WrappedText out;
    out.display.reserve(text.size() + text.size() / 8);
    const auto width_of   = [&](size_t from, size_t to) { return measure(text.substr(from, to - from)); };
    const auto soft_break = [&] {
        out.soft.push_back(out.display.size());
        out.display.push_back('\n');
    };
    size_t i = 0, line = 0;  // line: where the current display line starts, as an offset into text
    while (i < text.size()) {
        if (text[i] == '\n') {
            out.display.push_back('\n');
            line = ++i;
            continue;
        }
        size_t word_end = i;
        while (word_end < text.size() && text[word_end] != ' ' && text[word_end] != '\n') ++word_end;
        size_t space_end = word_end;
        while (space_end < text.size() && text[space_end] == ' ') ++space_end;
        if (width > 0 && i > line && width_of(line, word_end) > width) {
            soft_break();
            line = i;
        }
        if (width > 0 && width_of(line, word_end) > width) {  // alone and still too wide: break between characters
            for (size_t k = i; k < word_end;) {
                const size_t nk = next_char(text, k);
                if (k > line && width_of(line, nk) > width) {
                    soft_break();
                    line = k;
                }
                out.display.append(text.substr(k, nk - k));
                k = nk;
            }
        } else {
            out.display.append(text.substr(i, word_end - i));
        }
        out.display.append(text.substr(word_end, space_end - word_end));
        i = space_end;
    }
    return out;
}

std::string unwrap_text(const WrappedText& w) {
    std::string out;
    out.reserve(w.display.size());
    size_t k = 0;
    for (size_t i = 0; i < w.display.size(); ++i) {
        if (k < w.soft.size() && w.soft[k] == i) {
            ++k;
            continue;
        }
        out.push_back(w.display[i]);
    }
    return out;
}

size_t display_index(const WrappedText& w, size_t text_index) {
    size_t d = text_index;
    for (size_t k = 0; k < w.soft.size(); ++k)  // the k-th soft break sits before text offset soft[k] - k
        if (w.soft[k] - k <= text_index) ++d;
    return std::min(d, w.display.size());
}

UnwrappedEdit unwrap_edit(const WrappedText& before, std::string_view now, size_t cursor, bool backspace) {
    const std::string_view old = before.display;
    const size_t n_min         = std::min(old.size(), now.size());
    size_t prefix              = 0;
    while (prefix < n_min && old[prefix] == now[prefix]) ++prefix;
    size_t suffix = 0;
    while (suffix < n_min - prefix && old[old.size() - 1 - suffix] == now[now.size() - 1 - suffix]) ++suffix;
    const size_t old_end = old.size() - suffix;  // old's changed bytes: [prefix, old_end); now's: [prefix, now_end)
    const size_t now_end = now.size() - suffix;

    WrappedText after{std::string(now), {}};
    bool only_soft_deleted = now_end == prefix && old_end > prefix;
    for (size_t s : before.soft) {
        if (s < prefix) {
            after.soft.push_back(s);
        } else if (s >= old_end) {
            after.soft.push_back(s - old_end + now_end);
        }
    }
    for (size_t i = prefix; i < old_end && only_soft_deleted; ++i)
        only_soft_deleted = std::binary_search(before.soft.begin(), before.soft.end(), i);

    UnwrappedEdit out;
    out.text   = unwrap_text(after);
    out.cursor = std::min(cursor, now.size());
    for (size_t s : after.soft)
        if (s < cursor) --out.cursor;
    if (only_soft_deleted) {
        if (backspace && out.cursor > 0) {
            const size_t from = prev_char(out.text, out.cursor);
            out.text.erase(from, out.cursor - from);
            out.cursor = from;
        } else if (!backspace && out.cursor < out.text.size()) {
            out.text.erase(out.cursor, next_char(out.text, out.cursor) - out.cursor);
        }
    }
    return out;
}

}  // namespace ts::app
