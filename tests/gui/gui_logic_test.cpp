// The explorer's panel-independent logic, no display needed: colour maps, glyph ranges, number formatting,
// UTF-8 decoding and the Model panel's summary of a tiny model.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "app/gl/colormap.hpp"
#include "app/ui/fonts.hpp"
#include "app/ui/format.hpp"
#include "app/ui/model_summary.hpp"
#include "core/model/model.hpp"
#include "tests/gui/tiny_gguf.hpp"

namespace ts::app {
namespace {

using gl::Colormap;

void expect_rgb(gl::Rgb c, int r, int g, int b) {
    EXPECT_EQ(std::lround(c.r * 255.0f), r);
    EXPECT_EQ(std::lround(c.g * 255.0f), g);
    EXPECT_EQ(std::lround(c.b * 255.0f), b);
}

TEST(Colormap, ViridisEndsAreMatplotlibsDarkPurpleAndYellow) {
    expect_rgb(gl::colormap_rgb(Colormap::Viridis, 0.0f), 0x44, 0x01, 0x54);
    expect_rgb(gl::colormap_rgb(Colormap::Viridis, 1.0f), 0xfd, 0xe7, 0x25);
}

TEST(Colormap, MagmaEndsAreBlackAndPaleYellow) {
    expect_rgb(gl::colormap_rgb(Colormap::Magma, 0.0f), 0x00, 0x00, 0x04);
    expect_rgb(gl::colormap_rgb(Colormap::Magma, 1.0f), 0xfc, 0xfd, 0xbf);
}

TEST(Colormap, LuminanceRisesMonotonicallySoLargerValuesLookBrighter) {
    for (Colormap map : {Colormap::Viridis, Colormap::Magma}) {
        float prev = -1.0f;
        for (int i = 0; i <= 1000; ++i) {
            const float l = gl::luminance(gl::colormap_rgb(map, float(i) / 1000.0f));
            EXPECT_GE(l, prev) << gl::colormap_name(map) << " at t=" << i / 1000.0;
            prev = l;
        }
    }
}

TEST(Colormap, OutOfRangeAndNaNClampToTheEnds) {
    const auto lo = gl::colormap_u32(Colormap::Viridis, 0.0f);
    const auto hi = gl::colormap_u32(Colormap::Viridis, 1.0f);
    EXPECT_EQ(gl::colormap_u32(Colormap::Viridis, -3.0f), lo);
    EXPECT_EQ(gl::colormap_u32(Colormap::Viridis, std::nanf("")), lo);
    EXPECT_EQ(gl::colormap_u32(Colormap::Viridis, 7.0f), hi);
    EXPECT_EQ(hi >> 24, 0xffu);  // opaque
}

TEST(Colormap, LutEntriesEqualTheFunctionAtTheirCentres) {
    const auto lut = gl::colormap_lut(Colormap::Magma);
    for (int i : {0, 1, 77, 128, 254, 255}) {
        const gl::Rgb c = gl::colormap_rgb(Colormap::Magma, float(i) / 255.0f);
        EXPECT_EQ(lut[size_t(i) * 3 + 0], std::lround(c.r * 255.0f));
        EXPECT_EQ(lut[size_t(i) * 3 + 1], std::lround(c.g * 255.0f));
        EXPECT_EQ(lut[size_t(i) * 3 + 2], std::lround(c.b * 255.0f));
    }
}

bool ranges_contain(const std::vector<unsigned short>& r, uint32_t cp) {
    for (size_t i = 0; i + 1 < r.size() && r[i] != 0; i += 2)
        if (cp >= r[i] && cp <= r[i + 1]) return true;
    return false;
}

std::vector<uint32_t> codepoints(const std::string& s) {
    std::vector<uint32_t> out;
    append_codepoints(s, out);
    return out;
}

TEST(GlyphRanges, ContainLatinAndTheSymbolsTheUiDraws) {
    const auto r = build_glyph_ranges({});
    for (uint32_t cp : codepoints("Az09é€")) EXPECT_TRUE(ranges_contain(r, cp)) << cp;
    for (uint32_t cp : codepoints("␣↵▸→←√θ·×…")) EXPECT_TRUE(ranges_contain(r, cp)) << cp;
    EXPECT_FALSE(ranges_contain(r, 0x65e5));  // 日: only when a vocabulary uses it
}

TEST(GlyphRanges, AddTheVocabularysCharactersThatFitIn16Bits) {
    const auto r = build_glyph_ranges({0x65e5, 0x672c, 0x1f600});  // 日 本 😀
    EXPECT_TRUE(ranges_contain(r, 0x65e5));
    EXPECT_TRUE(ranges_contain(r, 0x672c));
    EXPECT_FALSE(ranges_contain(r, 0xf600));  // the emoji is skipped, not truncated to 16 bits
}

TEST(GlyphRanges, AreSortedPairsEndingInZero) {
    const auto r = build_glyph_ranges({0x4e00, 0x20});
    ASSERT_FALSE(r.empty());
    EXPECT_EQ(r.back(), 0);
    EXPECT_EQ(r.size() % 2, 1u);
    for (size_t i = 0; i + 1 < r.size() - 1; i += 2) {
        EXPECT_LE(r[i], r[i + 1]);
        if (i + 2 < r.size() - 1) {
            EXPECT_LT(r[i + 1], r[i + 2]);
        }
    }
}

TEST(Utf8, DecodesMultiByteCharactersAndReplacesBrokenBytes) {
    EXPECT_EQ(codepoints("a␣日😀"), (std::vector<uint32_t>{'a', 0x2423, 0x65e5, 0x1f600}));
    EXPECT_EQ(codepoints("\xe2\x90"), (std::vector<uint32_t>{0xfffd, 0xfffd}));  // truncated sequence
    EXPECT_EQ(codepoints("\xff"), (std::vector<uint32_t>{0xfffd}));
}

TEST(Format, ThousandsSeparatorsEveryThreeDigitsFromTheRight) {
    EXPECT_EQ(format_thousands(0), "0");
    EXPECT_EQ(format_thousands(64), "64");
    EXPECT_EQ(format_thousands(999), "999");
    EXPECT_EQ(format_thousands(1000), "1,000");
    EXPECT_EQ(format_thousands(1234567), "1,234,567");
}

TEST(Format, ShortCountsAndBinaryBytes) {
    EXPECT_EQ(format_count_short(999), "999");
    EXPECT_EQ(format_count_short(1234567), "1.23 M");
    EXPECT_EQ(format_count_short(1100048384), "1.10 B");
    EXPECT_EQ(format_bytes(12), "12 B");
    EXPECT_EQ(format_bytes(1536), "1.50 KiB");
    EXPECT_EQ(format_bytes(uint64_t(700) << 20), "700 MiB");
}

class TinyModelSummary : public ::testing::Test {
protected:
    void SetUp() override {
        path_ = ts::test::unique_temp_path("ts_gui_logic_tiny.gguf");
        ASSERT_TRUE(test::write_tiny_gguf(path_).ok());
        auto m = core::load_model(path_);
        ASSERT_TRUE(m.ok()) << m.error().message;
        model_   = *m;
        summary_ = summarize_model(*model_);
    }
    const TypeRow* type_row(const std::string& t) const {
        for (const TypeRow& r : summary_.types)
            if (r.type == t) return &r;
        return nullptr;
    }
    const InfoRow* row(const std::vector<InfoRow>& rows, const std::string& label) const {
        for (const InfoRow& r : rows)
            if (r.label == label) return &r;
        return nullptr;
    }
    std::string path_;
    std::shared_ptr<const core::Model> model_;
    ModelSummary summary_;
};

TEST_F(TinyModelSummary, CountsTensorsAndBytesPerType) {
    const TypeRow* q8  = type_row("q8_0");
    const TypeRow* f16 = type_row("f16");
    const TypeRow* f32 = type_row("f32");
    ASSERT_TRUE(q8 && f16 && f32);
    EXPECT_EQ(q8->count, 2 * 7 + 1);   // 7 matrices per layer + output
    EXPECT_EQ(f16->count, 1);          // token_embd
    EXPECT_EQ(f32->count, 2 * 2 + 1);  // two norms per layer + output_norm
    EXPECT_EQ(f16->bytes, uint64_t(64 * 271 * 2));
    EXPECT_EQ(summary_.types.front().type, "q8_0");  // largest first
    uint64_t bytes = 0;
    double share   = 0;
    for (const TypeRow& r : summary_.types) {
        bytes += r.bytes;
        share += r.share;
    }
    EXPECT_EQ(bytes, summary_.tensor_bytes);
    EXPECT_NEAR(share, 1.0, 1e-9);
    EXPECT_EQ(summary_.tensors.size(), size_t(21));
}

TEST_F(TinyModelSummary, ShowsHyperParametersWithAnExplanationEach) {
    EXPECT_EQ(summary_.title, "tiny test model");
    ASSERT_TRUE(row(summary_.hparams, "n_embd"));
    EXPECT_EQ(row(summary_.hparams, "n_embd")->value, "64");
    EXPECT_EQ(row(summary_.hparams, "n_vocab")->value, "271");
    EXPECT_EQ(row(summary_.hparams, "head_dim")->value, "16");
    EXPECT_EQ(row(summary_.hparams, "n_head_kv")->value, "2");
    for (const auto* rows : {&summary_.overview, &summary_.hparams, &summary_.tokenizer})
        for (const InfoRow& r : *rows) EXPECT_GT(r.help.size(), 20u) << r.label;
}

TEST_F(TinyModelSummary, ShowsTheRopeScalingWithLlama3FactorsWhenPresent) {
    ASSERT_TRUE(row(summary_.hparams, "rope scaling"));
    EXPECT_EQ(row(summary_.hparams, "rope scaling")->value, "none");
    core::Model llama3                 = *model_;
    llama3.hp.rope_freq_factors        = std::vector<float>(size_t(llama3.hp.n_rot / 2), 1.0f);
    llama3.hp.rope_freq_factors.back() = 32.0f;
    const ModelSummary s               = summarize_model(llama3);
    const InfoRow* r                   = row(s.hparams, "rope scaling");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->value, "none; frequency factors (rope_freqs.weight): 8 pairs divided by 1 to 32");
}

TEST_F(TinyModelSummary, CollectsTheVocabularysCharactersForTheFont) {
    const auto& cps = summary_.vocab_codepoints;
    for (uint32_t cp : codepoints("éïθ→日本Ω"))
        EXPECT_TRUE(std::binary_search(cps.begin(), cps.end(), cp)) << std::hex << cp;
    EXPECT_TRUE(std::is_sorted(cps.begin(), cps.end()));
}

}  // namespace
}  // namespace ts::app
