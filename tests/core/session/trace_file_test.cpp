// write_trace(): the JSON document parses (with a small parser written here), says what the session holds, and the
// .npy arrays beside it hold the recorded queries, residual stream, logits and attention.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include "core/session/session.hpp"
#include "tests/core/session/tiny_session.hpp"

namespace ts::core {
namespace {

// ---- a small JSON reader for the test ------------------------------------------------------------------------------

struct Json {
    enum Kind { Null, Bool, Num, Str, Arr, Obj } kind = Null;
    bool b                                            = false;
    double n                                          = 0;
    std::string s;
    std::vector<Json> a;
    std::map<std::string, Json> o;
    const Json& operator[](const std::string& k) const { return o.at(k); }
    const Json& operator[](size_t i) const { return a.at(i); }
};

class Parser {
public:
    explicit Parser(const std::string& t) : t_(t) {}
    bool parse(Json& out) {
        if (!value(out)) return false;
        ws();
        return i_ == t_.size();
    }

private:
    void ws() {
        while (i_ < t_.size() && std::isspace(uint8_t(t_[i_]))) ++i_;
    }
    bool lit(const char* w) {
        const size_t n = std::strlen(w);
        if (t_.compare(i_, n, w) != 0) return false;
        i_ += n;
        return true;
    }
    bool str(std::string& out) {
        if (t_[i_] != '"') return false;
        ++i_;
        while (i_ < t_.size() && t_[i_] != '"') {
            const auto c = uint8_t(t_[i_]);
            if (c < 0x20) return false;
            if (c == '\\') {
                ++i_;
                if (i_ >= t_.size()) return false;
                if (t_[i_] == 'u') {
                    if (i_ + 4 >= t_.size()) return false;
                    out += '?';
                    i_ += 5;
                    continue;
                }
                out += t_[i_++];
                continue;
            }
            out += char(c);
            ++i_;
        }
        if (i_ >= t_.size()) return false;
        ++i_;
        return true;
    }
    bool value(Json& v) {
        ws();
        if (i_ >= t_.size()) return false;
        const char c = t_[i_];
        if (c == '{') {
            v.kind = Json::Obj;
            ++i_;
            ws();
            if (t_[i_] == '}') return ++i_, true;
            for (;;) {
                ws();
                std::string k;
                if (!str(k)) return false;
                ws();
                if (t_[i_++] != ':') return false;
                if (!value(v.o[k])) return false;
                ws();
                if (t_[i_] == ',') {
                    ++i_;
                    continue;
                }
                return t_[i_++] == '}';
            }
        }
        if (c == '[') {
            v.kind = Json::Arr;
            ++i_;
            ws();
            if (t_[i_] == ']') return ++i_, true;
            for (;;) {
                v.a.emplace_back();
                if (!value(v.a.back())) return false;
                ws();
                if (t_[i_] == ',') {
                    ++i_;
                    continue;
                }
                return t_[i_++] == ']';
            }
        }
        if (c == '"') return v.kind = Json::Str, str(v.s);
        if (lit("true")) return v.kind = Json::Bool, v.b = true, true;
        if (lit("false")) return v.kind = Json::Bool, true;
        if (lit("null")) return true;
        char* end     = nullptr;
        const char* p = t_.c_str() + i_;
        v.n           = std::strtod(p, &end);
        if (end == p) return false;
        v.kind = Json::Num;
        i_ += size_t(end - p);
        return true;
    }
    const std::string& t_;
    size_t i_ = 0;
};

std::string read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

// A .npy file's shape and float32 data.
struct Npy {
    std::string dict;
    std::vector<float> data;
};

Npy read_npy(const std::string& path) {
    const std::string b = read_file(path);
    Npy n;
    EXPECT_GE(b.size(), 10u);
    EXPECT_EQ(b.substr(0, 6), "\x93NUMPY");
    const size_t hlen = uint8_t(b[8]) | (size_t(uint8_t(b[9])) << 8);
    EXPECT_EQ((10 + hlen) % 64, 0u);
    n.dict = b.substr(10, hlen);
    n.data.resize((b.size() - 10 - hlen) / 4);
    std::memcpy(n.data.data(), b.data() + 10 + hlen, n.data.size() * 4);
    return n;
}

TEST(TraceFile, JsonDescribesEveryStepAndArraysHoldTheRecords) {
    SessionOptions opt;
    opt.trace_budget = 10 * record_bytes_per_position(tiny::load_tiny_with_vocab()->hp);
    auto s           = tiny::make_session(tiny::load_tiny_with_vocab(), opt);
    ASSERT_TRUE(s->set_prompt("the cat\n\"in\"").ok());
    ASSERT_TRUE(s->prefill().ok());
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(s->step().ok());
    ASSERT_TRUE(s->branch(s->n_pos() - 1, 7).ok());
    const std::string path = tiny::temp_path("trace.json");
    TraceWriteOptions wo;
    wo.attention               = true;
    wo.max_attention_positions = 1000;
    ASSERT_TRUE(s->write_trace(path, wo).ok());

    Json j;
    ASSERT_TRUE(Parser(read_file(path)).parse(j)) << read_file(path).substr(0, 400);
    EXPECT_EQ(j["format"].s, "tokenscope.trace");
    EXPECT_EQ(j["version"].n, 1);
    EXPECT_EQ(j["model"]["n_layer"].n, 2);
    EXPECT_EQ(j["n_pos"].n, s->n_pos());
    EXPECT_EQ(j["n_prompt"].n, s->n_prompt());
    const Json& steps = j["steps"];
    ASSERT_EQ(steps.a.size(), size_t(s->n_pos()));
    for (int p = 0; p < s->n_pos(); ++p) {
        const StepTrace& st = *s->steps()[size_t(p)];
        const Json& js      = steps[size_t(p)];
        EXPECT_EQ(js["pos"].n, p);
        EXPECT_EQ(js["token"].n, st.token);
        EXPECT_EQ(js["source"].s, std::string(kTokenSourceNames[size_t(st.source)]));
        EXPECT_EQ(js["resid_norm_ffn"].a.size(), 2u);
        EXPECT_EQ(js["kv"]["bytes"].n, double(st.kv.bytes_total));
        EXPECT_EQ(js["recorded"].b, st.record != nullptr);
        EXPECT_TRUE(j["vocab"].o.count(std::to_string(st.token)));
        if (!st.has_next) {
            EXPECT_EQ(js["next"].kind, Json::Null);
            continue;
        }
        EXPECT_EQ(js["next"]["token"].n, st.next_token);
        const Json& stages = js["next"]["stages"];
        ASSERT_EQ(stages.a.size(), st.sampler.stages.size());
        const Json& first = stages[0];
        EXPECT_EQ(first["kind"].s, "logits");
        ASSERT_EQ(first["top"].a.size(), st.sampler.stages[0].top.size());
        EXPECT_EQ(first["top"][0][0].n, st.sampler.stages[0].top[0].id);
        EXPECT_FLOAT_EQ(float(first["top"][0][2].n), st.sampler.stages[0].top[0].p);
        EXPECT_NEAR(stages.a.back()["mass_removed"].n, 1.0 - st.sampler.stages.back().mass_kept, 1e-6);
    }
    EXPECT_EQ(steps.a.back()["source"].s, "forced");

    // The arrays: the recorded positions only (the budget dropped the oldest), in order.
    const Json& q = j["arrays"]["q"];
    std::vector<int> recorded;
    for (const auto& st : s->steps())
        if (st->record) recorded.push_back(st->pos);
    ASSERT_EQ(q["positions"].a.size(), recorded.size());
    EXPECT_EQ(q["shape"][0].n, double(recorded.size()));
    // Each array names the stage of the architecture's description it was taken from, and the model object lists
    // that description in the order the forward pass ran it.
    const ArchDesc& arch = arch_desc(s->model().hp);
    EXPECT_EQ(q["stage"]["key"].s, stage_key(arch.query));
    EXPECT_EQ(q["stage"]["title"].s, find_stage(arch, arch.query)->title);
    EXPECT_EQ(j["arrays"]["resid"]["stage"]["key"].s, "resid_ffn");
    const Json& block = j["model"]["stages"]["block"];
    ASSERT_EQ(block.a.size(), arch.block.size());
    for (size_t i = 0; i < block.a.size(); ++i) {
        EXPECT_EQ(block[i]["key"].s, stage_key(arch.block[i].id));
        EXPECT_FALSE(block[i]["explain"].s.empty());
    }
    EXPECT_EQ(j["model"]["stages"]["before"].a.size(), arch.before.size());
    EXPECT_EQ(j["model"]["stages"]["after"].a.size(), arch.after.size());
    const Npy qn = read_npy(tiny::temp_path("trace.q.npy"));
    EXPECT_NE(qn.dict.find("'shape': (" + std::to_string(recorded.size()) + ", 2, 4, 4)"), std::string::npos);
    ASSERT_EQ(qn.data.size(), recorded.size() * 32);
    const PositionRecord& r0 = *s->steps()[size_t(recorded[0])]->record;
    for (size_t i = 0; i < 32; ++i) EXPECT_EQ(qn.data[i], r0.q[i]);
    const Npy rn = read_npy(tiny::temp_path("trace.resid.npy"));
    ASSERT_EQ(rn.data.size(), recorded.size() * 32);
    EXPECT_EQ(rn.data.back(), s->steps().back()->record->resid.back());
    const Npy ln = read_npy(tiny::temp_path("trace.logits.npy"));
    EXPECT_EQ(ln.data, *s->logits());
    // Not every position was recorded, so no attention file, and the document says why.
    EXPECT_FALSE(j["arrays"].o.count("attn"));
    EXPECT_EQ(j["attn_skipped"].s, "some positions have no recorded queries");
}

TEST(TraceFile, AttentionArrayHoldsTheDerivedMatrices) {
    auto s = tiny::make_session(tiny::load_tiny_with_vocab());
    ASSERT_TRUE(s->set_prompt("the cat").ok());
    ASSERT_TRUE(s->prefill().ok());
    ASSERT_TRUE(s->step().ok());
    const std::string path = tiny::temp_path("t.json");
    TraceWriteOptions wo;
    wo.attention = true;
    ASSERT_TRUE(s->write_trace(path, wo).ok());
    Json j;
    ASSERT_TRUE(Parser(read_file(path)).parse(j));
    const int T = s->n_pos();
    ASSERT_TRUE(j["arrays"].o.count("attn"));
    const Npy a = read_npy(tiny::temp_path("t.attn.npy"));
    ASSERT_EQ(a.data.size(), size_t(2 * 4 * T * T));
    auto m = s->attention_matrix(1, 3);
    ASSERT_TRUE(m.ok());
    for (int k = 0; k < T * T; ++k) EXPECT_EQ(a.data[size_t((1 * 4 + 3) * T * T + k)], m->probs[size_t(k)]);
}

TEST(TraceFile, UnwritablePathIsAnError) {
    auto s = tiny::make_session(tiny::load_tiny_with_vocab());
    ASSERT_TRUE(s->set_prompt("the").ok());
    ASSERT_TRUE(s->prefill().ok());
    const Status st = s->write_trace("/nonexistent-dir/trace.json");
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message.find("/nonexistent-dir/trace"), std::string::npos);
    EXPECT_EQ(trace_array_path("a/b.json", ".q.npy"), "a/b.q.npy");
    EXPECT_EQ(trace_array_path("trace", ".q.npy"), "trace.q.npy");
}

}  // namespace
}  // namespace ts::core
