// The prompt box wraps (issue 16: Debian's ImGui 1.86 InputTextMultiline does not): the pure wrapping and the
// mapping of edits back to the prompt's text (app/ui/prompt_wrap.hpp), then the box in the shell at a narrow width.
#include <gtest/gtest.h>
#include <imgui.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "app/ui/prompt_wrap.hpp"
#include "tests/gui/panel_fixture.hpp"

namespace ts::app {
namespace {

// One pixel per byte: a line of `width` bytes fits.
float bytes(std::string_view s) {
    return float(s.size());
}

std::vector<std::string> lines_of(const std::string& s) {
    std::vector<std::string> out(1);
    for (char c : s) {
        if (c == '\n') {
            out.emplace_back();
        } else {
            out.back().push_back(c);
        }
    }
    return out;
}

TEST(PromptWrap, LinesBreakBeforeTheWordThatPassesTheWidth) {
    const std::string text = "In the beginning God created the heaven and the earth.";
    const WrappedText w    = wrap_text(text, 16.0f, bytes);
    EXPECT_EQ(w.display, "In the beginning \nGod created the \nheaven and the \nearth.");  // spaces end lines
    EXPECT_EQ(unwrap_text(w), text);
    for (const std::string& line : lines_of(w.display)) {
        std::string word_part = line;
        while (!word_part.empty() && word_part.back() == ' ') word_part.pop_back();
        EXPECT_LE(word_part.size(), 16u) << line;
    }
}

TEST(PromptWrap, HardBreaksStayAndLongWordsBreakBetweenCharacters) {
    const std::string text = "ab\ncdefghij é€x";  // a word of 8 bytes at width 4, then 2-byte and 3-byte characters
    const WrappedText w    = wrap_text(text, 4.0f, bytes);
    EXPECT_EQ(unwrap_text(w), text);
    EXPECT_EQ(std::count(w.display.begin(), w.display.end(), '\n') - long(w.soft.size()), 1);  // the hard one
    for (const std::string& line : lines_of(w.display)) EXPECT_LE(line.size(), 5u) << line;    // ≤ 4 + a space
    for (size_t s : w.soft) {  // never inside a UTF-8 character
        ASSERT_LT(s + 1, w.display.size());
        EXPECT_NE(static_cast<unsigned char>(w.display[s + 1]) & 0xC0, 0x80);
    }
    EXPECT_EQ(wrap_text(text, 0.0f, bytes).display, text);  // no width: no wrap
}

TEST(PromptWrap, EditsMapBackToTheText) {
    const WrappedText w = wrap_text("aaaa bbbb", 5.0f, bytes);
    ASSERT_EQ(w.display, "aaaa \nbbbb");
    // Typing 'x' at the end of the first line (before the soft break).
    UnwrappedEdit e = unwrap_edit(w, "aaaa x\nbbbb", 6, false);
    EXPECT_EQ(e.text, "aaaa xbbbb");
    EXPECT_EQ(e.cursor, 6u);
    // A hard new line typed at the start of the second line stays.
    e = unwrap_edit(w, "aaaa \n\nbbbb", 7, false);
    EXPECT_EQ(e.text, "aaaa \nbbbb");
    EXPECT_EQ(e.cursor, 6u);
    // Backspace at the start of the wrapped line deletes the soft break: the space before it goes instead.
    e = unwrap_edit(w, "aaaa bbbb", 5, true);
    EXPECT_EQ(e.text, "aaaabbbb");
    EXPECT_EQ(e.cursor, 4u);
    // Delete at the end of the first line: the character after it goes.
    e = unwrap_edit(w, "aaaa bbbb", 5, false);
    EXPECT_EQ(e.text, "aaaa bbb");
    EXPECT_EQ(e.cursor, 5u);
    // The cursor maps back into the display after the soft break.
    EXPECT_EQ(display_index(w, 5), 6u);
    EXPECT_EQ(display_index(w, 4), 4u);
}

class PromptBoxFrames : public test::PanelFrames {};

TEST_F(PromptBoxFrames, ALongPromptIsFullyVisibleInANarrowColumn) {
    start("the model", 1);
    ui_.left_width         = 200.0f;  // narrow, as beside a projector's big panels
    const std::string text = "the model is a small one and the model is a small one and the model is a small one";
    std::strncpy(ui_.prompt.data(), text.c_str(), ui_.prompt.size() - 1);
    shell_frame();
    shell_frame();
    const UiState::PromptBox& pb = ui_.prompt_box;
    EXPECT_EQ(unwrap_text(pb.wrapped), text);
    EXPECT_GE(pb.wrapped.soft.size(), 3u);
    const float box_w = pb.rect[2] - pb.rect[0], box_h = pb.rect[3] - pb.rect[1];
    EXPECT_LT(box_w, 220.0f);
    ImGui::NewFrame();  // measure with the box's font
    const auto lines = lines_of(pb.wrapped.display);
    for (const std::string& line : lines) {
        std::string word_part = line;
        while (!word_part.empty() && word_part.back() == ' ') word_part.pop_back();
        EXPECT_LE(ImGui::CalcTextSize(word_part.c_str()).x, box_w) << line;
    }
    EXPECT_GE(box_h, ImGui::GetTextLineHeight() * float(lines.size()));  // every line shows, none scrolled away
    ImGui::EndFrame();
}

TEST_F(PromptBoxFrames, TypingIntoTheWrappedBoxEditsThePromptAndMarksItEdited) {
    start("the model", 1);
    ui_.left_width         = 200.0f;
    const std::string text = "the model is a small one and the model is a small one";
    std::strncpy(ui_.prompt.data(), text.c_str(), ui_.prompt.size() - 1);
    ui_.applied_prompt = text;
    ui_.prompt_dirty   = false;
    shell_frame();
    shell_frame();  // the layout settles (the first frame after the prompt is set may place the box elsewhere)
    ASSERT_GE(ui_.prompt_box.wrapped.soft.size(), 1u);
    // Click into the box, then End of text (Ctrl+End) and type " x".
    ImGuiIO& io                   = ImGui::GetIO();
    io.KeyMap[ImGuiKey_End]       = 269;  // GLFW's codes, as the GLFW backend maps them
    io.KeyMap[ImGuiKey_Backspace] = 259;
    io.MousePos                   = ImVec2(ui_.prompt_box.rect[0] + 10.0f, ui_.prompt_box.rect[1] + 8.0f);
    io.MouseDown[0]               = true;
    shell_frame();
    io.MouseDown[0] = false;
    shell_frame();
    io.KeyCtrl                           = true;
    io.KeysDown[io.KeyMap[ImGuiKey_End]] = true;
    shell_frame();
    io.KeysDown[io.KeyMap[ImGuiKey_End]] = false;
    io.KeyCtrl                           = false;
    io.AddInputCharactersUTF8(" x");
    shell_frame();
    shell_frame();
    EXPECT_EQ(std::string(ui_.prompt.data()), text + " x");  // no soft break leaked into the prompt
    EXPECT_TRUE(ui_.prompt_dirty);                           // and the "edited — press Enter" mark is up
}

}  // namespace
}  // namespace ts::app
