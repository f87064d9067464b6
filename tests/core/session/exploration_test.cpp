// Saved explorations (exploration.hpp): save → read → restore lands in the same state as the session saved (tokens
// and their sources, every position's residual stream and sampler view, the newest logits bit for bit, settings,
// interventions, the view map); a file of a newer version is refused naming both versions; damaged files and wrong
// types are errors; a changed or missing model file is detected.
#include "core/session/exploration.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>

#include "core/base/mmap.hpp"
#include "core/base/replace_file.hpp"
#include "core/base/sha256.hpp"
#include "core/sample/settings_json.hpp"
#include "tests/core/session/tiny_session.hpp"

namespace ts::core {
namespace {

SessionOptions options() {
    SessionOptions opt;
    opt.sampler.temp  = 0.9f;  // real draws: the Rng's state shows in every sampled token
    opt.sampler.seed  = 11;
    opt.prompt_logits = true;  // as the explorer runs
    return opt;
}

bool same_float(float a, float b) {
    return std::memcmp(&a, &b, sizeof a) == 0;
}

// sampled_p: also each sampled token's p_token. Session::set_interventions re-evaluates the tokens after the change and
// gives each its softmax at T = 1 there, where a restored path, which draws them again, gives the chain's p.
void expect_same_state(const Session& a, const Session& b, bool sampled_p = true) {
    ASSERT_EQ(a.n_pos(), b.n_pos());
    EXPECT_EQ(a.n_prompt(), b.n_prompt());
    EXPECT_EQ(a.prompt(), b.prompt());
    EXPECT_EQ(a.pending(), b.pending());
    for (int p = 0; p < a.n_pos(); ++p) {
        const StepTrace &x = *a.steps()[size_t(p)], &y = *b.steps()[size_t(p)];
        EXPECT_EQ(x.token, y.token) << p;
        EXPECT_EQ(x.source, y.source) << p;
        if (sampled_p || x.source != TokenSource::Sampled) {
            EXPECT_TRUE(same_float(x.p_token, y.p_token)) << p << ": " << x.p_token << " vs " << y.p_token;
        }
        EXPECT_EQ(x.has_next, y.has_next) << p;
        EXPECT_EQ(x.next_token, y.next_token) << p;
        EXPECT_TRUE(same_float(x.next_p, y.next_p)) << p;
        if (x.has_next) {
            EXPECT_TRUE(x.rng_before == y.rng_before) << p;
        }
        EXPECT_TRUE(sample::same_settings(x.settings, y.settings)) << p;
        ASSERT_EQ(x.sampler.stages.size(), y.sampler.stages.size()) << p;
        for (size_t k = 0; k < x.sampler.stages.size(); ++k) {
            ASSERT_EQ(x.sampler.stages[k].top.size(), y.sampler.stages[k].top.size());
            for (size_t c = 0; c < x.sampler.stages[k].top.size(); ++c) {
                EXPECT_EQ(x.sampler.stages[k].top[c].id, y.sampler.stages[k].top[c].id);
                EXPECT_TRUE(same_float(x.sampler.stages[k].top[c].logit, y.sampler.stages[k].top[c].logit));
            }
        }
        ASSERT_EQ(bool(x.record), bool(y.record)) << p;
        if (x.record) {
            EXPECT_EQ(x.record->resid, y.record->resid) << p;  // every layer's residual stream, bit for bit
            EXPECT_EQ(x.record->q, y.record->q) << p;
        }
    }
    ASSERT_NE(a.logits(), nullptr);
    ASSERT_NE(b.logits(), nullptr);
    EXPECT_EQ(std::memcmp(a.logits()->data(), b.logits()->data(), a.logits()->size() * sizeof(float)), 0);
    EXPECT_TRUE(sample::same_settings(a.sampler().settings(), b.sampler().settings()));
    ASSERT_EQ(a.interventions().size(), b.interventions().size());
    for (size_t i = 0; i < a.interventions().size(); ++i) {
        EXPECT_TRUE(a.interventions()[i].same_edit(b.interventions()[i]));
        EXPECT_EQ(a.interventions()[i].enabled, b.interventions()[i].enabled);
    }
}

// Saves `a` to a file, reads it back and restores it into a new session on the same model.
std::unique_ptr<Session> round_trip(const Session& a, const Json& view, RestoreReport* report = nullptr,
                                    Exploration* read_back = nullptr) {
    Exploration e         = capture_exploration(a, "the prompt box", view);
    e.current_pos         = 2;
    const std::string out = tiny::temp_path("e.tscope");
    EXPECT_TRUE(save_exploration(e, out).ok());
    auto back = read_exploration(out);
    EXPECT_TRUE(back.ok()) << back.error().message;
    if (!back.ok()) return nullptr;
    if (read_back) *read_back = *back;
    auto b    = tiny::make_session(a.model_ptr(), a.options());
    Status st = restore_exploration(*b, *back, report);
    EXPECT_TRUE(st.ok()) << st.error().message;
    return b;
}

TEST(Exploration, RoundTripLandsInTheSameState) {
    auto model = tiny::load_tiny_with_vocab();
    auto a     = tiny::make_session(model, options());
    ASSERT_TRUE(a->set_prompt("the cat sat").ok());
    ASSERT_TRUE(a->prefill().ok());
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(a->step().ok());
    sample::SamplerSettings cool = a->sampler().settings();
    cool.temp                    = 0.4f;
    cool.top_k                   = 5;
    ASSERT_TRUE(a->set_sampler(cool).ok());
    ASSERT_TRUE(a->resample().ok());  // the proposal drawn again with new settings, from the same Rng
    for (int i = 0; i < 2; ++i) ASSERT_TRUE(a->step().ok());
    ASSERT_TRUE(a->branch(a->n_pos(), 7).ok());  // a forced token replaces the proposal
    ASSERT_TRUE(a->step().ok());
    ASSERT_TRUE(a->branch(a->n_pos() - 3, 9).ok());  // and one further back
    ASSERT_TRUE(a->step().ok());
    ASSERT_TRUE(a->resample(/*fresh_draw=*/true).ok());  // a new draw from the stream: only its Rng state says which
    ASSERT_TRUE(a->step().ok());
    sample::SamplerSettings reseeded = cool;
    reseeded.seed                    = 99;  // a new seed: the proposal is a new draw
    ASSERT_TRUE(a->set_sampler(reseeded).ok());
    ASSERT_TRUE(a->resample().ok());
    ASSERT_TRUE(a->step().ok());
    sample::SamplerSettings sliders = reseeded;
    sliders.min_p                   = 0.2f;  // the sliders moved, the proposal not re-drawn
    ASSERT_TRUE(a->set_sampler(sliders).ok());

    const Json view = Json{{"tab", "attention"}, {"layer", 1}, {"head", 3}, {"log_scale", true}};
    RestoreReport report;
    Exploration back;
    auto b = round_trip(*a, view, &report, &back);
    ASSERT_NE(b, nullptr);
    expect_same_state(*a, *b);
    EXPECT_EQ(report.sampled, 7);
    EXPECT_EQ(report.not_reproduced, 0);  // every sampled token was drawn again by the sampler
    EXPECT_EQ(back.view, view);
    EXPECT_EQ(back.current_pos, 2);
    EXPECT_EQ(back.prompt_text, "the prompt box");
    EXPECT_EQ(back.model_path, model->path);
    // The restored session goes on as the saved one would.
    ASSERT_TRUE(a->step().ok());
    ASSERT_TRUE(b->step().ok());
    EXPECT_EQ(a->tokens(), b->tokens());
}

TEST(Exploration, RoundTripWithInterventionsAndARewindIntoThePrompt) {
    auto model = tiny::load_tiny_with_vocab();
    auto a     = tiny::make_session(model, options());
    ASSERT_TRUE(a->set_prompt("the cat sat on").ok());
    ASSERT_TRUE(a->prefill().ok());
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(a->step().ok());
    // Added after the tokens were drawn: they are re-evaluated under it, and may no longer be what it would draw.
    ASSERT_TRUE(a->add_intervention(parse_intervention("zero-head:1.2@2", model->hp).value()).ok());
    ASSERT_TRUE(a->add_intervention(parse_intervention("skip-mlp:0", model->hp).value()).ok());
    ASSERT_TRUE(a->enable_intervention(1, false).ok());
    ASSERT_TRUE(a->step().ok());
    RestoreReport report;
    auto b = round_trip(*a, Json::object(), &report);
    ASSERT_NE(b, nullptr);
    // The saved session drew the generated tokens without the interventions and re-evaluated them under them (their
    // proposals drawn again); the restored one evaluates them under the interventions from the start, and draws each
    // proposal again from the Rng state the path recorded: the same state, but for the sampled tokens' p_token.
    expect_same_state(*a, *b, /*sampled_p=*/false);
    EXPECT_EQ(report.sampled, 4);
    // Saving the restored session again gives the same file.
    const std::string again = exploration_json(capture_exploration(*b, "the prompt box", Json::object()));
    Exploration first       = capture_exploration(*a, "the prompt box", Json::object());
    EXPECT_EQ(again, exploration_json(first));

    ASSERT_TRUE(a->rewind(a->n_pos() - 2).ok());  // into the prompt, then a token of the sampler's
    ASSERT_TRUE(a->step().ok());
    ASSERT_TRUE(a->step().ok());
    b = round_trip(*a, Json::object());
    ASSERT_NE(b, nullptr);
    expect_same_state(*a, *b);
    ASSERT_TRUE(a->reset().ok());  // Reset goes back to the prompt as set in both
    ASSERT_TRUE(b->reset().ok());
    EXPECT_EQ(a->pending(), b->pending());
}

TEST(Exploration, ASteerVectorMadeByTheCallerIsSaved) {
    auto model = tiny::load_tiny_with_vocab();
    auto a     = tiny::make_session(model, options());
    ASSERT_TRUE(a->set_prompt("the cat").ok());
    ASSERT_TRUE(a->prefill().ok());
    Intervention steer = parse_intervention("steer:1:2.5", model->hp).value();
    steer.steer.assign(size_t(model->hp.n_embd), 0.0f);
    for (size_t i = 0; i < steer.steer.size(); ++i) steer.steer[i] = 0.125f * float(i % 5) - 0.25f;
    ASSERT_TRUE(a->add_intervention(steer).ok());
    ASSERT_TRUE(a->step().ok());
    auto b = round_trip(*a, Json::object());
    ASSERT_NE(b, nullptr);
    expect_same_state(*a, *b);
    EXPECT_EQ(b->interventions()[0].steer, steer.steer);
}

std::string saved_text() {
    auto model = tiny::load_tiny_with_vocab();
    auto a     = tiny::make_session(model, options());
    EXPECT_TRUE(a->set_prompt("the cat").ok());
    EXPECT_TRUE(a->prefill().ok());
    EXPECT_TRUE(a->step().ok());
    return exploration_json(capture_exploration(*a, "the cat", Json{{"tab", "logits"}}));
}

TEST(Exploration, ANewerVersionIsRefusedNamingBoth) {
    Json j       = Json::parse(saved_text());
    j["version"] = 2;
    auto r       = parse_exploration(j.dump(), "new.tscope");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("new.tscope"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("version 2"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("version 1"), std::string::npos) << r.error().message;
    EXPECT_TRUE(parse_exploration(saved_text(), "ok.tscope").ok());
}

TEST(Exploration, TheTextIsReadableAndAnyPromptTextRoundTrips) {
    Exploration e;
    e.model_path           = "\"paths\": \"@PATHS@\"";  // what the writer marks its one-line parts with, as text
    e.prompt_text          = "\"ids\": \"@IDS@\" \n\xff";
    e.prompt_ids           = {1, 2, 3};
    e.paths                = {{{1, TokenSource::Prompt, {}, {}},
                               {2, TokenSource::Prompt, sample::SamplerSettings{}, {}},
                               {9, TokenSource::Forced, {}, sample::Rng(5)}}};
    const std::string text = exploration_json(e);
    EXPECT_NE(text.find("\"ids\": [1,2,3]"), std::string::npos) << text;  // the ids on one line
    EXPECT_NE(text.find("\n      {\"id\":9,\"source\":\"forced\",\"rng\":\""), std::string::npos)
        << text;  // a position a line
    auto back = parse_exploration(text, "t.tscope");
    ASSERT_TRUE(back.ok()) << back.error().message << "\n" << text;
    EXPECT_EQ(back->model_path, e.model_path);
    EXPECT_EQ(back->prompt_text, "\"ids\": \"@IDS@\" \n\xef\xbf\xbd");  // an invalid byte becomes U+FFFD
    EXPECT_EQ(back->prompt_ids, e.prompt_ids);
    ASSERT_EQ(back->paths.size(), 1u);
    ASSERT_EQ(back->paths[0].size(), 3u);
    EXPECT_TRUE(back->paths[0][2].rng && *back->paths[0][2].rng == sample::Rng(5));
    EXPECT_EQ(exploration_json(*back), exploration_json(parse_exploration(exploration_json(*back), "u").value()));
}

TEST(Exploration, DamagedFilesAreErrorsNeverCrashes) {
    const std::string text = saved_text();
    for (size_t n = 0; n < text.size(); n += 7) {  // truncated anywhere
        auto r = parse_exploration(text.substr(0, n), "cut.tscope");
        EXPECT_FALSE(r.ok()) << n;
    }
    auto broken = [&](const std::function<void(Json&)>& edit, const char* expect) {
        Json j = Json::parse(text);
        edit(j);
        auto r = parse_exploration(j.dump(), "bad.tscope");
        ASSERT_FALSE(r.ok()) << expect;
        EXPECT_NE(r.error().message.find(expect), std::string::npos) << r.error().message;
    };
    broken([](Json& j) { j["format"] = "lesson"; }, "not a TokenScope exploration");
    broken([](Json& j) { j.erase("version"); }, "'version' is missing");
    broken([](Json& j) { j["version"] = "1"; }, "version: must be an integer");
    broken([](Json& j) { j["paths"][0][1]["id"] = "five"; }, "paths[0][1].id");
    broken([](Json& j) { j["paths"][0][1]["id"] = -3; }, "paths[0][1].id");
    broken([](Json& j) { j["paths"][0][2]["source"] = "dreamt"; }, "'source' must be prompt, sampled or forced");
    broken([](Json& j) { j["paths"] = Json::array(); }, "at least one path");
    broken([](Json& j) { j["paths"][0] = 3; }, "paths[0]");
    broken([](Json& j) { j["sampler"]["top_p"] = "most"; }, "sampler: 'top_p' must be a number");
    broken([](Json& j) { j["sampler"]["top_p"] = 3; }, "top_p");
    broken([](Json& j) { j["current"]["pos"] = 500; }, "current.pos");
    broken([](Json& j) { j["model"]["sha256"] = "xyz"; }, "model.sha256");
    broken([](Json& j) { j["prompt"]["ids"] = Json::array(); }, "the prompt has no tokens");
    broken([](Json& j) { j["view"]["layer"] = Json::array({1}); }, "view.layer");
    broken([](Json& j) { j["interventions"] = Json::array({Json{{"spec", 3}}}); }, "'spec' must be a string");
    broken([](Json& j) { j["extra"] = 1; }, "unknown key 'extra'");
    EXPECT_FALSE(parse_exploration("[1, 2]", "a.tscope").ok());
    EXPECT_FALSE(parse_exploration("", "a.tscope").ok());
    EXPECT_FALSE(read_exploration(tiny::temp_path("missing.tscope")).ok());
}

TEST(Exploration, RestoreChecksTheModel) {
    auto model = tiny::load_tiny_with_vocab();
    auto a     = tiny::make_session(model, options());
    ASSERT_TRUE(a->set_prompt("the cat").ok());
    ASSERT_TRUE(a->prefill().ok());
    Exploration e = capture_exploration(*a, "the cat", Json::object());
    e.paths[0].push_back(SavedToken{500, TokenSource::Forced, {}, {}});  // beyond the 37-token vocabulary
    auto b    = tiny::make_session(model, options());
    Status st = restore_exploration(*b, e);
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message.find("vocabulary"), std::string::npos) << st.error().message;
    e.paths[0].pop_back();
    e.interventions.push_back(SavedIntervention{"zero-head:9.0", true, {}});  // the model has 2 layers
    st = restore_exploration(*b, e);
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message.find("zero-head:9.0"), std::string::npos) << st.error().message;
}

TEST(Exploration, AChangedOrMissingModelFileIsDetected) {
    auto model             = tiny::load_tiny_with_vocab();
    const std::string copy = tiny::temp_path("copy.gguf");
    auto bytes             = read_file(model->path, size_t(1) << 30);
    ASSERT_TRUE(bytes.ok());
    ASSERT_TRUE(replace_file(copy, bytes->data(), bytes->size()).ok());
    Exploration e;
    e.model_path   = copy;
    e.model_sha256 = sha256_file(copy).value();
    EXPECT_TRUE(check_exploration_model(e, copy).ok());
    std::string changed = *bytes;
    changed.back() ^= 1;
    ASSERT_TRUE(replace_file(copy, changed.data(), changed.size()).ok());
    Status st = check_exploration_model(e, copy);
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message.find("not the model file the exploration was saved with"), std::string::npos)
        << st.error().message;
    std::filesystem::remove(copy);
    st = check_exploration_model(e, copy);
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message.find(copy), std::string::npos) << st.error().message;
}

}  // namespace
}  // namespace ts::core
