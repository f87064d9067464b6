// Glyph ranges and the font atlas.
#include "app/ui/fonts.hpp"

#include <imgui.h>

#include <cstdio>
#include <filesystem>

namespace ts::app {

std::vector<unsigned short> build_glyph_ranges(const std::vector<uint32_t>& extra) {
    static constexpr ImWchar kBase[] = {
        0x0020, 0x00FF,  // Basic Latin + Latin-1 Supplement
        0x0100, 0x024F,  // Latin Extended-A and -B
        0x0370, 0x03FF,  // Greek (θ, σ, Σ in explanations)
        0x2000, 0x206F,  // General Punctuation (— … ‖)
        0x20A0, 0x20CF,  // Currency Symbols (€)
        0x2190, 0x21FF,  // Arrows (→ ← ↵)
        0x2200, 0x22FF,  // Mathematical Operators (√ ≈ ≤)
        0x2400, 0x243F,  // Control Pictures (␣)
        0x25A0, 0x25FF,  // Geometric Shapes (▸ ● ■)
        0x2700, 0x27BF,  // Dingbats (❚❚ of the Pause button)
        0x27E6, 0x27EF,  // Mathematical brackets (⟨ ⟩)
        0xFFFD, 0xFFFD,  // the replacement character
        0,
    };
    ImFontGlyphRangesBuilder b;
    b.AddRanges(kBase);
    b.AddText(kUiSymbols);
    for (uint32_t cp : extra)
        if (cp > 0 && cp <= 0xFFFF) b.AddChar(ImWchar(cp));
    ImVector<ImWchar> out;
    b.BuildRanges(&out);
    return std::vector<unsigned short>(out.begin(), out.end());
}

std::string find_font(const char* file_name) {
    namespace fs = std::filesystem;
    std::error_code ec;
#ifdef TS_SOURCE_DIR
    const fs::path local = fs::path(TS_SOURCE_DIR) / "assets" / "fonts" / file_name;
    if (fs::exists(local, ec)) return local.string();
#endif
    const fs::path system = fs::path("/usr/share/fonts/truetype/dejavu") / file_name;
    if (fs::exists(system, ec)) return system.string();
    return {};
}

void load_fonts(Fonts& fonts, const std::vector<uint32_t>& vocab_codepoints, float scale) {
    ImGuiIO& io = ImGui::GetIO();
    io.Fonts->Clear();
    fonts              = Fonts{};
    fonts.ranges       = build_glyph_ranges(vocab_codepoints);
    fonts.title_ranges = build_glyph_ranges({});
    static_assert(sizeof(ImWchar) == sizeof(unsigned short), "Debian's ImGui uses 16-bit ImWchar");

    const std::string sans = find_font("DejaVuSans.ttf");
    const std::string mono = find_font("DejaVuSansMono.ttf");
    const std::string bold = find_font("DejaVuSans-Bold.ttf");
    ImFontConfig cfg;
    cfg.OversampleH = 2;
    cfg.OversampleV = 1;
    auto add        = [&](const std::string& path, float px, const std::vector<unsigned short>& ranges) -> ImFont* {
        if (path.empty()) return nullptr;
        return io.Fonts->AddFontFromFileTTF(path.c_str(), px * scale, &cfg,
                                                   reinterpret_cast<const ImWchar*>(ranges.data()));
    };
    fonts.ui    = add(sans, 15.0f, fonts.ranges);
    fonts.mono  = add(mono, 14.0f, fonts.ranges);
    fonts.title = add(bold.empty() ? sans : bold, 19.0f, fonts.title_ranges);
    if (!fonts.ui) {
        std::fprintf(stderr, "warning: DejaVu fonts not found (install fonts-dejavu-core); using ImGui's own font\n");
        ImFontConfig def;
        def.SizePixels = 13.0f * scale;
        fonts.ui       = io.Fonts->AddFontDefault(&def);
    }
    if (!fonts.mono) fonts.mono = fonts.ui;
    if (!fonts.title) fonts.title = fonts.ui;
    io.FontDefault = fonts.ui;
}

}  // namespace ts::app
