// Reading a lesson file: every key checked, errors naming the file, the step and the key (lesson.hpp).
#include <algorithm>
#include <array>
#include <fstream>
#include <initializer_list>
#include <sstream>

#include "core/base/json.hpp"
#include "core/lesson/lesson.hpp"

namespace ts::core::lesson {
namespace {

// The place an error is about: "file: step 3: fact 2 (top)".
struct Where {
    std::string file;
    int step = 0;  // 1-based; 0: the lesson itself
    std::string what;

    std::string prefix() const {
        std::string s = file + ": ";
        if (step > 0) s += "step " + std::to_string(step) + ": ";
        if (!what.empty()) s += what + ": ";
        return s;
    }
};

Error fail(const Where& w, const std::string& message) {
    return Error{Code::kInvalidArgument, w.prefix() + message};
}

Status allowed_keys(const Where& w, const Json& obj, std::initializer_list<std::string_view> keys, const char* noun) {
    for (const auto& [k, v] : obj.items()) {
        (void)v;
        if (std::find(keys.begin(), keys.end(), k) == keys.end())
            return fail(w, "unknown " + std::string(noun) + " '" + k + "'");
    }
    return Status{};
}

Result<std::string> get_string(const Where& w, const Json& obj, const char* key, bool required) {
    if (!obj.contains(key)) {
        if (required) return fail(w, std::string("'") + key + "' is missing");
        return std::string();
    }
    const Json& v = obj.at(key);
    if (!v.is_string()) return fail(w, std::string("'") + key + "' must be a string");
    return v.get<std::string>();
}

Result<std::optional<int64_t>> get_int(const Where& w, const Json& obj, const char* key, int64_t lo, int64_t hi) {
    if (!obj.contains(key)) return std::optional<int64_t>{};
    const Json& v = obj.at(key);
    if (!v.is_number_integer()) return fail(w, std::string("'") + key + "' must be an integer");
    const int64_t x =
        v.is_number_unsigned() ? int64_t(std::min<uint64_t>(v.get<uint64_t>(), uint64_t(INT64_MAX))) : v.get<int64_t>();
    if (x < lo || x > hi)
        return fail(w, std::string("'") + key + "' must be in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                           "], got " + std::to_string(x));
    return std::optional<int64_t>{x};
}

Result<std::optional<double>> get_number(const Where& w, const Json& obj, const char* key) {
    if (!obj.contains(key)) return std::optional<double>{};
    const Json& v = obj.at(key);
    if (!v.is_number()) return fail(w, std::string("'") + key + "' must be a number");
    return std::optional<double>{v.get<double>()};
}

Result<TokenRef> get_token(const Where& w, const Json& obj, const char* key) {
    if (!obj.contains(key)) return fail(w, std::string("'") + key + "' is missing");
    const Json& v = obj.at(key);
    TokenRef t;
    if (v.is_string() && !v.get<std::string>().empty()) {
        t.text = v.get<std::string>();
    } else if (v.is_number_integer() && v.get<int64_t>() >= 0 && v.get<int64_t>() <= INT32_MAX) {
        t.id = int32_t(v.get<int64_t>());
    } else {
        return fail(w, std::string("'") + key + "' must be a token's text or a non-negative id");
    }
    return t;
}

bool is_panel(std::string_view name) {
    return !panel_named(name).empty();
}

std::string panel_list() {
    std::string s;
    for (std::string_view n : kPanelNames) s += (s.empty() ? "" : ", ") + std::string(n);
    return s;
}

Result<SamplerPatch> parse_sampler(const Where& w, const Json& v) {
    SamplerPatch p;
    if (v.is_string()) {
        if (v.get<std::string>() != "defaults") return fail(w, "'sampler' must be an object or \"defaults\"");
        p.defaults = true;
        return p;
    }
    if (!v.is_object()) return fail(w, "'sampler' must be an object or \"defaults\"");
    if (auto st = allowed_keys(
            w, v, {"defaults", "temp", "top_k", "top_p", "min_p", "repeat_penalty", "repeat_last_n", "seed"},
            "sampler setting");
        !st.ok())
        return st.error();
    if (v.contains("defaults")) {
        if (!v.at("defaults").is_boolean()) return fail(w, "'defaults' must be true or false");
        p.defaults = v.at("defaults").get<bool>();
    }
    for (auto [key, out] : {std::pair{"temp", &p.temp}, std::pair{"top_p", &p.top_p}, std::pair{"min_p", &p.min_p},
                            std::pair{"repeat_penalty", &p.repeat_penalty}}) {
        TS_TRY_ASSIGN(x, get_number(w, v, key));
        if (x) *out = float(*x);
    }
    TS_TRY_ASSIGN(k, get_int(w, v, "top_k", 0, INT32_MAX));
    if (k) p.top_k = int32_t(*k);
    TS_TRY_ASSIGN(n, get_int(w, v, "repeat_last_n", -1, INT32_MAX));
    if (n) p.repeat_last_n = int32_t(*n);
    TS_TRY_ASSIGN(seed, get_int(w, v, "seed", 0, INT64_MAX));
    if (seed) p.seed = uint64_t(*seed);
    return p;
}

Result<Action> parse_action(Where w, const Json& v) {
    if (!v.is_object() || v.size() != 1) return fail(w, "an action is an object with one key, e.g. {\"generate\": 8}");
    const std::string name = v.begin().key();
    const Json& arg        = v.begin().value();
    w.what += " (" + name + ")";
    Action a;
    const Json wrapped = Json::object({{name, arg}});
    auto int_arg       = [&](int64_t lo, int64_t hi) -> Result<int32_t> {
        TS_TRY_ASSIGN(x, get_int(w, wrapped, name.c_str(), lo, hi));
        return int32_t(*x);
    };
    if (name == "prompt") {
        a.kind = ActionKind::Prompt;
        if (!arg.is_string() || arg.get<std::string>().empty()) return fail(w, "'prompt' must be a non-empty string");
        a.text = arg.get<std::string>();
    } else if (name == "generate" || name == "rewind") {
        a.kind = name == "generate" ? ActionKind::Generate : ActionKind::Rewind;
        TS_TRY_ASSIGN(n, int_arg(1, 1 << 16));
        a.n = n;
    } else if (name == "force") {
        a.kind = ActionKind::Force;
        if (!arg.is_object()) return fail(w, "'force' must be an object {\"token\": ..., \"pos\": N}");
        if (auto st = allowed_keys(w, arg, {"token", "pos"}, "key"); !st.ok()) return st.error();
        TS_TRY_ASSIGN(tok, get_token(w, arg, "token"));
        a.token = tok;
        TS_TRY_ASSIGN(pos, get_int(w, arg, "pos", 0, INT32_MAX));
        a.pos = pos ? int32_t(*pos) : -1;
    } else if (name == "sampler") {
        a.kind = ActionKind::Sampler;
        TS_TRY_ASSIGN(p, parse_sampler(w, arg));
        a.sampler = p;
    } else if (name == "tab") {
        a.kind = ActionKind::Tab;
        if (!arg.is_string() || !is_panel(arg.get<std::string>()))
            return fail(w, "'tab' must be one of " + panel_list());
        a.left = std::string(panel_named(arg.get<std::string>()));
    } else if (name == "split") {
        a.kind = ActionKind::Split;
        if (!arg.is_array() || arg.size() != 2 || !arg[0].is_string() || !arg[1].is_string() ||
            !is_panel(arg[0].get<std::string>()) || !is_panel(arg[1].get<std::string>()))
            return fail(w, "'split' must be two panel names, each one of " + panel_list());
        a.left  = std::string(panel_named(arg[0].get<std::string>()));
        a.right = std::string(panel_named(arg[1].get<std::string>()));
    } else if (name == "layer" || name == "head") {
        a.kind = name == "layer" ? ActionKind::Layer : ActionKind::Head;
        TS_TRY_ASSIGN(n, int_arg(0, 1 << 16));
        a.n = n;
    } else if (name == "query") {
        a.kind = ActionKind::Query;
        TS_TRY_ASSIGN(n, int_arg(-1, 1 << 20));
        a.n = n;
    } else if (name == "highlight") {
        a.kind = ActionKind::Highlight;
        if (!arg.is_object()) return fail(w, "'highlight' must be an object {\"from\": N, \"to\": N, \"note\": TEXT}");
        if (auto st = allowed_keys(w, arg, {"from", "to", "note"}, "key"); !st.ok()) return st.error();
        TS_TRY_ASSIGN(from, get_int(w, arg, "from", 0, 1 << 20));
        TS_TRY_ASSIGN(to, get_int(w, arg, "to", 0, 1 << 20));
        if (!from) return fail(w, "'from' is missing");
        a.from = int32_t(*from);
        a.to   = to ? int32_t(*to) : a.from;
        if (a.to < a.from) return fail(w, "'to' is before 'from'");
        TS_TRY_ASSIGN(note, get_string(w, arg, "note", false));
        a.note = note;
    } else if (name == "predict") {
        a.kind = ActionKind::Predict;
        if (!arg.is_boolean()) return fail(w, "'predict' must be true or false");
        a.n = arg.get<bool>() ? 1 : 0;
    } else {
        w.what = w.what.substr(0, w.what.find(" ("));
        return fail(w, "unknown action '" + name +
                           "' (known: prompt, generate, rewind, force, sampler, tab, split, layer, head, query, "
                           "highlight, predict)");
    }
    return a;
}

// The hyper-parameters a "model" fact may state, and "tied".
constexpr std::array<std::string_view, 9> kModelKeys = {"n_vocab",   "n_ctx",    "n_embd", "n_layer", "n_head",
                                                        "n_head_kv", "head_dim", "n_ff",   "tied"};

// The keys each fact takes besides "fact".
std::vector<std::string_view> fact_keys(FactKind k) {
    switch (k) {
        case FactKind::Top:
            return {"token", "at", "stage", "above", "below"};
        case FactKind::Candidate:
            return {"token", "at", "stage", "rank", "rank_at_most", "above", "below"};
        case FactKind::Sampled:
            return {"token", "at"};
        case FactKind::Kept:
            return {"stage", "at", "count", "above", "below"};
        case FactKind::Entropy:
            return {"stage", "at", "above", "below"};
        case FactKind::Attention:
            return {"layer", "head", "query", "strongest", "key", "score", "above", "below"};
        case FactKind::Lens:
            return {"token", "at", "layer", "first_layer", "above", "below"};
        case FactKind::Sequence:
            return {"count", "ends_with"};
        case FactKind::Kv:
            return {"bytes_per_position"};
        case FactKind::Pieces:
            return {"text", "count"};
        case FactKind::Norm:
            return {"at", "layer", "above", "below"};
        case FactKind::Atlas:
            return {"layer", "head", "tag", "above", "below"};
        case FactKind::Model:
            return {kModelKeys.begin(), kModelKeys.end()};
    }
    return {};
}

constexpr std::string_view kStages[] = {"model", "penalties", "temperature", "top_k", "top_p", "min_p", "final"};

Result<Fact> parse_fact(Where w, const Json& v) {
    if (!v.is_object() || !v.contains("fact") || !v.at("fact").is_string())
        return fail(
            w, "a fact is an object whose \"fact\" names its kind, e.g. {\"fact\": \"top\", \"token\": \" unto\"}");
    const std::string name = v.at("fact").get<std::string>();
    const auto* it         = std::find(std::begin(kFactNames), std::end(kFactNames), name);
    if (it == std::end(kFactNames)) {
        std::string known;
        for (std::string_view n : kFactNames) known += (known.empty() ? "" : ", ") + std::string(n);
        return fail(w, "unknown fact '" + name + "' (known: " + known + ")");
    }
    Fact f;
    f.kind = FactKind(it - std::begin(kFactNames));
    w.what += " (" + name + ")";
    for (const auto& [k, x] : v.items()) {
        (void)x;
        const auto keys = fact_keys(f.kind);
        if (k != "fact" && std::find(keys.begin(), keys.end(), k) == keys.end())
            return fail(w, "unknown key '" + k + "'");
    }
    if (v.contains("token")) {
        TS_TRY_ASSIGN(t, get_token(w, v, "token"));
        f.token = t;
    } else if (f.kind == FactKind::Top || f.kind == FactKind::Candidate || f.kind == FactKind::Sampled ||
               f.kind == FactKind::Lens) {
        return fail(w, "'token' is missing");
    }
    TS_TRY_ASSIGN(at, get_int(w, v, "at", -1, 1 << 20));
    if (at) f.at = int32_t(*at);
    TS_TRY_ASSIGN(stage, get_string(w, v, "stage", f.kind == FactKind::Kept));
    f.stage = stage.empty() ? "model" : stage;
    if (std::find(std::begin(kStages), std::end(kStages), f.stage) == std::end(kStages))
        return fail(w, "'stage' must be one of model, penalties, temperature, top_k, top_p, min_p, final; got '" +
                           f.stage + "'");
    if (f.kind == FactKind::Kept && f.stage == "model") return fail(w, "'kept' needs a sampler stage, not 'model'");
    TS_TRY_ASSIGN(above, get_number(w, v, "above"));
    TS_TRY_ASSIGN(below, get_number(w, v, "below"));
    f.above = above;
    f.below = below;
    if (above && below && *above >= *below) return fail(w, "'above' must be less than 'below'");
    TS_TRY_ASSIGN(rank, get_int(w, v, "rank", 1, INT32_MAX));
    TS_TRY_ASSIGN(rank_at_most, get_int(w, v, "rank_at_most", 1, INT32_MAX));
    if (rank) f.rank = int32_t(*rank);
    if (rank_at_most) f.rank_at_most = int32_t(*rank_at_most);
    TS_TRY_ASSIGN(count, get_int(w, v, "count", 0, INT32_MAX));
    if (count) f.count = int32_t(*count);
    const bool layer_may_be_embedding = f.kind == FactKind::Norm || f.kind == FactKind::Lens;
    TS_TRY_ASSIGN(layer, get_int(w, v, "layer", layer_may_be_embedding ? -1 : 0, 1 << 16));
    if (layer) f.layer = int32_t(*layer);
    f.embedding = f.kind == FactKind::Lens && layer && *layer == -1;
    TS_TRY_ASSIGN(head, get_int(w, v, "head", 0, 1 << 16));
    if (head) f.head = int32_t(*head);
    TS_TRY_ASSIGN(query, get_int(w, v, "query", -1, 1 << 20));
    if (query) f.query = int32_t(*query);
    TS_TRY_ASSIGN(strongest, get_int(w, v, "strongest", 0, 1 << 20));
    if (strongest) f.strongest = int32_t(*strongest);
    TS_TRY_ASSIGN(key, get_int(w, v, "key", 0, 1 << 20));
    if (key) f.key = int32_t(*key);
    if (v.contains("score")) {
        if (!v.at("score").is_boolean()) return fail(w, "'score' must be true or false");
        f.score = v.at("score").get<bool>();
    }
    TS_TRY_ASSIGN(first_layer, get_int(w, v, "first_layer", 0, 1 << 16));
    if (first_layer) f.first_layer = int32_t(*first_layer);
    const char* text_key = f.kind == FactKind::Sequence ? "ends_with" : f.kind == FactKind::Atlas ? "tag" : "text";
    TS_TRY_ASSIGN(text, get_string(w, v, text_key, f.kind == FactKind::Pieces || f.kind == FactKind::Atlas));
    f.text = text;
    TS_TRY_ASSIGN(bpp, get_int(w, v, "bytes_per_position", 0, INT64_MAX));
    if (bpp) f.bytes_per_position = *bpp;

    if (f.kind == FactKind::Model) {
        for (const auto& [k, x] : v.items()) {
            if (k == "fact") continue;
            if (k == "tied") {
                if (!x.is_boolean()) return fail(w, "'tied' must be true or false");
                f.tied = x.get<bool>();
                continue;
            }
            TS_TRY_ASSIGN(n, get_int(w, v, k.c_str(), 0, INT64_MAX));
            f.shape.emplace_back(k, *n);
        }
        if (f.shape.empty() && !f.tied) return fail(w, "states nothing to check");
        return f;
    }
    // Each fact must state something checkable.
    const bool bounds = f.above || f.below;
    bool states       = true;
    switch (f.kind) {
        case FactKind::Candidate:
            states = f.rank || f.rank_at_most || bounds;
            break;
        case FactKind::Kept:
            states = f.count || bounds;
            break;
        case FactKind::Entropy:
        case FactKind::Norm:
            states = bounds;
            break;
        case FactKind::Attention:
            states = f.strongest || (f.key && bounds);
            if (bounds && !f.key) return fail(w, "'above' / 'below' need the 'key' they bound");
            break;
        case FactKind::Lens:
            states = f.layer >= 0 || f.embedding || f.first_layer;
            break;
        case FactKind::Sequence:
            states = f.count || !f.text.empty();
            break;
        case FactKind::Kv:
            states = bool(f.bytes_per_position);
            break;
        case FactKind::Pieces:
            states = bool(f.count);
            break;
        default:
            break;
    }
    if (!states) return fail(w, "states nothing to check");
    if ((f.kind == FactKind::Attention) && (f.layer < 0 || f.head < 0))
        return fail(w, "'layer' and 'head' are required");
    if (f.kind == FactKind::Norm && !v.contains("layer")) return fail(w, "'layer' is missing (-1: the embedding)");
    return f;
}

Result<Step> parse_step(Where w, const Json& v) {
    if (!v.is_object()) return fail(w, "a step must be an object");
    if (auto st = allowed_keys(w, v, {"title", "text", "actions", "question", "answer", "facts"}, "key"); !st.ok())
        return st.error();
    Step s;
    TS_TRY_ASSIGN(title, get_string(w, v, "title", false));
    TS_TRY_ASSIGN(text, get_string(w, v, "text", true));
    TS_TRY_ASSIGN(question, get_string(w, v, "question", false));
    TS_TRY_ASSIGN(answer, get_string(w, v, "answer", false));
    s.title    = title;
    s.text     = text;
    s.question = question;
    s.answer   = answer;
    if (!s.answer.empty() && s.question.empty()) return fail(w, "an 'answer' needs a 'question'");
    if (!s.question.empty() && s.answer.empty()) return fail(w, "a 'question' needs its 'answer'");
    for (const char* list : {"actions", "facts"}) {
        if (!v.contains(list)) continue;
        const Json& arr = v.at(list);
        if (!arr.is_array()) return fail(w, std::string("'") + list + "' must be an array");
        for (size_t i = 0; i < arr.size(); ++i) {
            Where wi = w;
            wi.what  = (list[0] == 'a' ? "action " : "fact ") + std::to_string(i + 1);
            if (list[0] == 'a') {
                TS_TRY_ASSIGN(a, parse_action(wi, arr[i]));
                s.actions.push_back(std::move(a));
            } else {
                TS_TRY_ASSIGN(f, parse_fact(wi, arr[i]));
                s.facts.push_back(std::move(f));
            }
        }
    }
    return s;
}

}  // namespace

Result<Lesson> parse_lesson(std::string_view json_text, const std::string& file_name) {
    Where w{file_name, 0, ""};
    Json j;
    try {
        j = Json::parse(json_text.begin(), json_text.end());
    } catch (const std::exception& e) {
        return fail(w, std::string("not valid JSON: ") + e.what());
    }
    if (!j.is_object()) return fail(w, "a lesson must be a JSON object");
    if (auto st = allowed_keys(w, j, {"title", "summary", "steps"}, "key"); !st.ok()) return st.error();
    Lesson l;
    l.file = file_name;
    TS_TRY_ASSIGN(title, get_string(w, j, "title", true));
    TS_TRY_ASSIGN(summary, get_string(w, j, "summary", true));
    l.title   = title;
    l.summary = summary;
    if (!j.contains("steps") || !j.at("steps").is_array() || j.at("steps").empty())
        return fail(w, "'steps' must be a non-empty array");
    const Json& steps = j.at("steps");
    for (size_t i = 0; i < steps.size(); ++i) {
        TS_TRY_ASSIGN(s, parse_step(Where{file_name, int(i) + 1, ""}, steps[i]));
        l.steps.push_back(std::move(s));
    }
    return l;
}

Result<Lesson> load_lesson(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Error{Code::kIo, path + ": cannot open"};
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) return Error{Code::kIo, path + ": read error"};
    return parse_lesson(ss.str(), path);
}

}  // namespace ts::core::lesson
