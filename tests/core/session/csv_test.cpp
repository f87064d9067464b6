// Panels' numbers as CSV (core/trace/csv.hpp): RFC 4180 quoting, and each table holds the numbers the session
// computed — read back from the text and compared with the trace and the derivations they came from.
#include "core/trace/csv.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "core/session/session.hpp"
#include "tests/core/session/tiny_session.hpp"

namespace ts::core {
namespace {

// Splits CSV text into rows of fields (quoted fields with doubled quotes, commas and line breaks inside).
std::vector<std::vector<std::string>> parse(const std::string& text) {
    std::vector<std::vector<std::string>> rows(1);
    std::string f;
    bool in_quotes = false;
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_quotes) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
                f += '"';
                ++i;
            } else if (c == '"') {
                in_quotes = false;
            } else {
                f += c;
            }
        } else if (c == '"') {
            in_quotes = true;
        } else if (c == ',') {
            rows.back().push_back(f);
            f.clear();
        } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
            rows.back().push_back(f);
            f.clear();
            rows.emplace_back();
            ++i;
        } else {
            f += c;
        }
    }
    if (!rows.back().empty() || !f.empty()) rows.back().push_back(f);
    if (rows.back().empty()) rows.pop_back();
    return rows;
}

TEST(Csv, FieldsAreQuotedOnlyWhenTheyMustBe) {
    EXPECT_EQ(csv::field("cat"), "cat");
    EXPECT_EQ(csv::field("a,b"), "\"a,b\"");
    EXPECT_EQ(csv::field("say \"hi\""), "\"say \"\"hi\"\"\"");
    EXPECT_EQ(csv::field("line\nbreak"), "\"line\nbreak\"");
    const auto rows = parse(csv::field("x,\"y\"\n") + "," + csv::field("z") + "\r\n");
    ASSERT_EQ(rows.size(), 1u);
    ASSERT_EQ(rows[0].size(), 2u);
    EXPECT_EQ(rows[0][0], "x,\"y\"\n");
    EXPECT_EQ(rows[0][1], "z");
}

class CsvOfASession : public ::testing::Test {
protected:
    void SetUp() override {
        s_ = tiny::make_session(tiny::load_tiny_with_vocab());
        ASSERT_TRUE(s_->set_prompt("the cat sat").ok());
        ASSERT_TRUE(s_->prefill().ok());
        for (int i = 0; i < 3; ++i) ASSERT_TRUE(s_->step().ok());
    }
    std::unique_ptr<Session> s_;
};

TEST_F(CsvOfASession, AttentionMatrixHoldsTheDerivedWeightsAndMasksTheFuture) {
    const auto m = s_->attention_matrix(1, 2);
    ASSERT_TRUE(m.ok()) << m.error().message;
    const std::vector<int32_t> tokens = s_->tokens();
    const auto rows                   = parse(csv::attention_matrix(s_->model(), *m, tokens));
    const int T                       = s_->n_pos();
    ASSERT_EQ(int(rows.size()), T + 1);
    ASSERT_EQ(int(rows[0].size()), T + 2);
    EXPECT_EQ(rows[0][0], "query_pos");
    EXPECT_EQ(rows[0][2], "0:" + csv::token_text(s_->model(), tokens[0]));
    for (int q = 0; q < T; ++q) {
        const auto& r = rows[size_t(q) + 1];
        EXPECT_EQ(std::stoi(r[0]), q);
        for (int k = 0; k < T; ++k) {
            if (k > q) {
                EXPECT_TRUE(r[size_t(k) + 2].empty());
            } else {
                EXPECT_EQ(std::strtof(r[size_t(k) + 2].c_str(), nullptr), m->probs[size_t(q * T + k)]);
            }
        }
    }
}

TEST_F(CsvOfASession, ScoreRowCandidatesAndStagesHoldTheSessionsNumbers) {
    const int pos  = s_->n_pos() - 1;
    const auto row = s_->attention_row(0, 1, pos);
    ASSERT_TRUE(row.ok());
    const auto rr = parse(csv::score_row(s_->model(), *row, s_->tokens()));
    ASSERT_EQ(int(rr.size()), pos + 2);
    EXPECT_EQ(std::strtof(rr[1][2].c_str(), nullptr), row->scores[0]);
    EXPECT_EQ(std::strtof(rr.back()[3].c_str(), nullptr), row->probs[size_t(pos)]);
    // A soft-capped layer's row (gemma2) adds the raw score before the capped one.
    derive::AttnRow capped = *row;
    capped.raw_scores.assign(capped.scores.size(), 7.5f);
    const auto cr = parse(csv::score_row(s_->model(), capped, s_->tokens()));
    ASSERT_EQ(cr[0].size(), 5u);
    EXPECT_EQ(cr[0][2], "raw_score");
    EXPECT_EQ(cr[0][3], "score");
    EXPECT_EQ(std::strtof(cr[1][2].c_str(), nullptr), 7.5f);
    EXPECT_EQ(std::strtof(cr[1][3].c_str(), nullptr), row->scores[0]);

    const StepTrace& st = *s_->steps().back();
    const auto cand     = parse(csv::candidates(s_->model(), st.sampler));
    ASSERT_EQ(cand.size(), st.sampler.stages.front().top.size() + 1);
    int chosen = 0;
    for (size_t i = 1; i < cand.size(); ++i) {
        const auto& c = st.sampler.stages.front().top[i - 1];
        EXPECT_EQ(std::stoi(cand[i][1]), c.id);
        EXPECT_EQ(std::strtof(cand[i][4].c_str(), nullptr), c.p);
        chosen += std::stoi(cand[i][7]);
    }
    EXPECT_EQ(chosen, 1);

    const auto stages = parse(csv::sampler_stages(s_->model(), st.sampler));
    size_t n          = 0;
    for (const auto& sv : st.sampler.stages) n += sv.top.size();
    ASSERT_EQ(stages.size(), n + 1);
    EXPECT_EQ(stages[1][0], "logits");

    const auto ctx = parse(csv::context(s_->model(), s_->steps()));
    ASSERT_EQ(int(ctx.size()), s_->n_pos() + 1);
    EXPECT_EQ(ctx[1][3], "prompt");
    EXPECT_TRUE(ctx[1][4].empty());
    EXPECT_EQ(ctx.back()[3], "sampled");
    EXPECT_EQ(std::strtof(ctx.back()[4].c_str(), nullptr), s_->steps().back()->p_token);

    const auto lens = s_->logit_lens(pos, 3);
    ASSERT_TRUE(lens.ok());
    const auto lr = parse(csv::logit_lens(s_->model(), *lens));
    EXPECT_EQ(lr.size(), lens->size() * 3 + 1);
}

}  // namespace
}  // namespace ts::core
