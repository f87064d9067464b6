// A saved exploration's JSON: writing it, and reading it with every field checked (exploration.hpp). Nothing here
// needs the model: token ids and intervention specs are checked when the exploration is restored
// (exploration_restore.cpp), so the fuzz target builds this file alone.
#include "core/session/exploration.hpp"

#include <algorithm>
#include <array>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <optional>

#include "core/base/mmap.hpp"
#include "core/base/replace_file.hpp"
#include "core/sample/settings_json.hpp"

namespace ts::core {
namespace {

// The Rng's four 64-bit words as 64 lower-case hex digits, first word first.
std::string rng_hex(const sample::Rng& r) {
    std::string s;
    char buf[17];
    for (uint64_t w : r.state()) {
        std::snprintf(buf, sizeof buf, "%016" PRIx64, w);
        s += buf;
    }
    return s;
}

std::optional<sample::Rng> rng_from_hex(const std::string& s) {
    if (s.size() != 64 || s.find_first_not_of("0123456789abcdef") != std::string::npos) return std::nullopt;
    std::array<uint64_t, 4> st{};
    for (size_t i = 0; i < 4; ++i) st[i] = std::strtoull(s.substr(16 * i, 16).c_str(), nullptr, 16);
    if (st == std::array<uint64_t, 4>{}) return std::nullopt;  // xoshiro's one forbidden state
    sample::Rng r;
    r.set_state(st);
    return r;
}

Error fail(const std::string& where, const std::string& field, const std::string& why) {
    return Error{Code::kFormat, where + ": " + (field.empty() ? "" : field + ": ") + why};
}

Status allowed_keys(const std::string& where, const std::string& field, const Json& obj,
                    std::initializer_list<std::string_view> keys) {
    for (const auto& [k, v] : obj.items()) {
        (void)v;
        if (std::find(keys.begin(), keys.end(), k) == keys.end()) return fail(where, field, "unknown key '" + k + "'");
    }
    return {};
}

// obj[key] as an object member of the given kind; errors name "field.key".
const Json* member(const Json& obj, const char* key) {
    auto it = obj.find(key);
    return it == obj.end() ? nullptr : &*it;
}

Result<std::string> get_string(const std::string& where, const std::string& field, const Json& obj, const char* key) {
    const Json* v = member(obj, key);
    if (!v) return fail(where, field, std::string("'") + key + "' is missing");
    if (!v->is_string()) return fail(where, field, std::string("'") + key + "' must be a string");
    return v->get<std::string>();
}

Result<int64_t> as_int(const std::string& where, const std::string& field, const Json& v, int64_t lo, int64_t hi) {
    if (!v.is_number_integer()) return fail(where, field, "must be an integer");
    const int64_t x =
        v.is_number_unsigned() ? int64_t(std::min<uint64_t>(v.get<uint64_t>(), uint64_t(INT64_MAX))) : v.get<int64_t>();
    if (x < lo || x > hi)
        return fail(where, field,
                    "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " + std::to_string(x));
    return x;
}

Result<const Json*> get_member(const std::string& where, const std::string& field, const Json& obj, const char* key,
                               bool (Json::*is)() const noexcept, const char* kind) {
    const Json* v = member(obj, key);
    if (!v) return fail(where, field, std::string("'") + key + "' is missing");
    if (!(v->*is)()) return fail(where, field, std::string("'") + key + "' must be " + kind);
    return v;
}

Result<SavedToken> parse_token(const std::string& where, const std::string& field, const Json& t) {
    if (!t.is_object()) return fail(where, field, "expected an object {\"id\", \"source\"}");
    TS_TRY(allowed_keys(where, field, t, {"id", "source", "sampler", "rng"}));
    SavedToken pt;
    const Json* id = member(t, "id");
    if (!id) return fail(where, field, "'id' is missing");
    TS_TRY_ASSIGN(x, as_int(where, field + ".id", *id, 0, INT32_MAX));
    pt.id = int32_t(x);
    TS_TRY_ASSIGN(src, get_string(where, field, t, "source"));
    auto it = std::find(kTokenSourceNames.begin(), kTokenSourceNames.end(), src);
    if (it == kTokenSourceNames.end())
        return fail(where, field, "'source' must be prompt, sampled or forced, got '" + src + "'");
    pt.source = TokenSource(it - kTokenSourceNames.begin());
    if (const Json* s = member(t, "sampler")) {
        auto ss = sample::settings_from_json(*s, where + ": " + field + ".sampler");
        if (!ss) return ss.error();
        pt.sampler = *ss;
    }
    if (const Json* r = member(t, "rng")) {
        auto rng = rng_from_hex(r->is_string() ? r->get<std::string>() : std::string());
        if (!rng) return fail(where, field, "'rng' must be 64 hex digits (the sampler's state)");
        pt.rng = *rng;
    }
    return pt;
}

Result<TokenPath> parse_path(const std::string& where, const std::string& field, const Json& p) {
    if (!p.is_array() || p.empty()) return fail(where, field, "a path must be a non-empty array of tokens");
    TokenPath path;
    path.reserve(p.size());
    bool after_prompt = false;
    for (size_t i = 0; i < p.size(); ++i) {
        const std::string f = field + "[" + std::to_string(i) + "]";
        TS_TRY_ASSIGN(t, parse_token(where, f, p[i]));
        if (t.source == TokenSource::Prompt && after_prompt)
            return fail(where, f, "a prompt token after a sampled or forced one");
        after_prompt = after_prompt || t.source != TokenSource::Prompt;
        path.push_back(std::move(t));
    }
    if (path[0].source != TokenSource::Prompt) return fail(where, field, "a path starts with a prompt token");
    return path;
}

Result<SavedIntervention> parse_intervention_entry(const std::string& where, const std::string& field, const Json& j) {
    if (!j.is_object()) return fail(where, field, "expected an object {\"spec\", \"enabled\"}");
    TS_TRY(allowed_keys(where, field, j, {"spec", "enabled", "steer"}));
    SavedIntervention iv;
    TS_TRY_ASSIGN(spec, get_string(where, field, j, "spec"));
    iv.spec = spec;
    if (const Json* e = member(j, "enabled")) {
        if (!e->is_boolean()) return fail(where, field, "'enabled' must be true or false");
        iv.enabled = e->get<bool>();
    }
    if (const Json* v = member(j, "steer")) {
        if (!v->is_array()) return fail(where, field, "'steer' must be an array of numbers");
        for (const Json& x : *v) {
            if (!x.is_number()) return fail(where, field, "'steer' must be an array of numbers");
            iv.steer.push_back(x.get<float>());
        }
    }
    return iv;
}

Result<Exploration> parse_root(const Json& j, const std::string& where) {
    if (!j.is_object()) return fail(where, "", "an exploration must be a JSON object");
    TS_TRY_ASSIGN(format, get_string(where, "", j, "format"));
    if (format != kExplorationFormat)
        return fail(where, "",
                    "not a TokenScope exploration (format '" + format + "', expected '" + kExplorationFormat + "')");
    const Json* ver = member(j, "version");
    if (!ver) return fail(where, "", "'version' is missing");
    TS_TRY_ASSIGN(version, as_int(where, "version", *ver, 1, INT32_MAX));
    if (version > kExplorationVersion)
        return fail(where, "",
                    "exploration format version " + std::to_string(version) +
                        " is newer than this TokenScope reads (version " + std::to_string(kExplorationVersion) +
                        "): open it with a newer TokenScope");
    TS_TRY(
        allowed_keys(where, "", j,
                     {"format", "version", "model", "prompt", "paths", "current", "sampler", "interventions", "view"}));
    Exploration e;
    e.version = int(version);

    TS_TRY_ASSIGN(model, get_member(where, "", j, "model", &Json::is_object, "an object"));
    TS_TRY(allowed_keys(where, "model", *model, {"path", "sha256"}));
    TS_TRY_ASSIGN(mpath, get_string(where, "model", *model, "path"));
    e.model_path = mpath;
    if (member(*model, "sha256")) {
        TS_TRY_ASSIGN(sha, get_string(where, "model", *model, "sha256"));
        const bool hex = sha.size() == 64 && sha.find_first_not_of("0123456789abcdef") == std::string::npos;
        if (!hex && !sha.empty()) return fail(where, "model.sha256", "must be 64 lower-case hex digits");
        e.model_sha256 = sha;
    }

    TS_TRY_ASSIGN(prompt, get_member(where, "", j, "prompt", &Json::is_object, "an object"));
    TS_TRY(allowed_keys(where, "prompt", *prompt, {"text", "ids"}));
    TS_TRY_ASSIGN(text, get_string(where, "prompt", *prompt, "text"));
    e.prompt_text = text;
    TS_TRY_ASSIGN(ids, get_member(where, "prompt", *prompt, "ids", &Json::is_array, "an array of token ids"));
    if (ids->empty()) return fail(where, "prompt.ids", "the prompt has no tokens");
    for (size_t i = 0; i < ids->size(); ++i) {
        TS_TRY_ASSIGN(id, as_int(where, "prompt.ids[" + std::to_string(i) + "]", (*ids)[i], 0, INT32_MAX));
        e.prompt_ids.push_back(int32_t(id));
    }

    TS_TRY_ASSIGN(paths, get_member(where, "", j, "paths", &Json::is_array, "an array of token paths"));
    if (paths->empty()) return fail(where, "paths", "there must be at least one path");
    for (size_t i = 0; i < paths->size(); ++i) {
        TS_TRY_ASSIGN(p, parse_path(where, "paths[" + std::to_string(i) + "]", (*paths)[i]));
        e.paths.push_back(std::move(p));
    }

    TS_TRY_ASSIGN(cur, get_member(where, "", j, "current", &Json::is_object, "an object"));
    TS_TRY(allowed_keys(where, "current", *cur, {"path", "pos"}));
    if (const Json* p = member(*cur, "path")) {
        TS_TRY_ASSIGN(cp, as_int(where, "current.path", *p, 0, int64_t(e.paths.size()) - 1));
        e.current_path = int(cp);
    }
    if (const Json* p = member(*cur, "pos")) {
        const int64_t n = int64_t(e.paths[size_t(e.current_path)].size());
        TS_TRY_ASSIGN(pos, as_int(where, "current.pos", *p, -1, n - 1));
        e.current_pos = int(pos);
    }

    if (const Json* s = member(j, "sampler")) {
        auto ss = sample::settings_from_json(*s, where + ": sampler");
        if (!ss) return ss.error();
        e.sampler = *ss;
    } else {
        return fail(where, "", "'sampler' is missing");
    }

    if (const Json* ivs = member(j, "interventions")) {
        if (!ivs->is_array()) return fail(where, "", "'interventions' must be an array");
        for (size_t i = 0; i < ivs->size(); ++i) {
            TS_TRY_ASSIGN(iv, parse_intervention_entry(where, "interventions[" + std::to_string(i) + "]", (*ivs)[i]));
            e.interventions.push_back(std::move(iv));
        }
    }

    if (const Json* v = member(j, "view")) {
        if (!v->is_object()) return fail(where, "", "'view' must be an object");
        for (const auto& [k, x] : v->items())
            if (!x.is_string() && !x.is_number() && !x.is_boolean())
                return fail(where, "view." + k, "must be a string, a number or a boolean");
        e.view = *v;
    }
    return e;
}

}  // namespace

void add_tree_paths(Exploration& e, const TreePaths& tree) {
    if (tree.paths.size() < 2 || e.paths.empty()) return;
    const auto same_as_session = [&](const std::vector<PathToken>& path) {
        const TokenPath& own = e.paths.front();
        if (path.size() != own.size()) return false;
        for (size_t i = 0; i < path.size(); ++i)
            if (path[i].token != own[i].id || path[i].source != own[i].source) return false;
        return true;
    };
    for (const std::vector<PathToken>& path : tree.paths) {
        if (same_as_session(path)) continue;
        TokenPath saved;
        saved.reserve(path.size());
        for (const PathToken& t : path) saved.push_back(SavedToken{t.token, t.source, {}, {}});
        // Each node's settings (those of the proposal that chose it) on the position before, as paths[0] writes
        // them: where they differ from the last written, and always on the first.
        const sample::SamplerSettings* last = nullptr;
        for (size_t p = 1; p < path.size(); ++p) {
            const auto& s = path[p].settings;
            if (!s || (last && sample::same_settings(*last, *s))) continue;
            saved[p - 1].sampler = *s;
            last                 = &*s;
        }
        e.paths.push_back(std::move(saved));
    }
}

TreePaths tree_paths_of(const Exploration& e) {
    TreePaths tp;
    for (const TokenPath& path : e.paths) {
        std::vector<PathToken>& out = tp.paths.emplace_back();
        std::optional<sample::SamplerSettings> in_force;  // of the proposal at the position before
        for (const SavedToken& t : path) {
            out.push_back(PathToken{t.id, t.source, std::nanf(""), std::nullopt});
            if (t.source != TokenSource::Prompt) out.back().settings = in_force;
            if (t.sampler) in_force = t.sampler;
        }
    }
    tp.current_path = e.current_path;
    tp.current_len  = e.paths.empty() ? 0 : int(e.paths[size_t(e.current_path)].size());
    return tp;
}

std::string exploration_json(const Exploration& e) {
    // Indented, but each path position and the prompt's ids on one line: a file a person can read and diff.
    auto line = [](const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); };
    Json ids  = Json::array();
    for (int32_t id : e.prompt_ids) ids.push_back(id);
    std::string paths = "[";
    for (size_t i = 0; i < e.paths.size(); ++i) {
        paths += i ? ",\n    [" : "\n    [";
        for (size_t p = 0; p < e.paths[i].size(); ++p) {
            const SavedToken& t = e.paths[i][p];
            Json tj{{"id", t.id}, {"source", kTokenSourceNames[size_t(t.source)]}};
            if (t.sampler) tj["sampler"] = sample::settings_json(*t.sampler);
            if (t.rng) tj["rng"] = rng_hex(*t.rng);
            paths += (p ? ",\n      " : "\n      ") + line(tj);
        }
        paths += "\n    ]";
    }
    paths += "\n  ]";
    Json j;
    j["format"]  = kExplorationFormat;
    j["version"] = kExplorationVersion;
    j["model"]   = Json{{"path", e.model_path}, {"sha256", e.model_sha256}};
    j["prompt"]  = Json{{"text", e.prompt_text}, {"ids", "@IDS@"}};
    j["paths"]   = "@PATHS@";
    j["current"] = Json{{"path", e.current_path}, {"pos", e.current_pos}};
    j["sampler"] = sample::settings_json(e.sampler);
    Json ivs     = Json::array();
    for (const SavedIntervention& iv : e.interventions) {
        Json x{{"spec", iv.spec}, {"enabled", iv.enabled}};
        if (!iv.steer.empty()) x["steer"] = iv.steer;
        ivs.push_back(std::move(x));
    }
    j["interventions"] = std::move(ivs);
    j["view"]          = e.view.is_object() ? e.view : Json::object();
    std::string text   = j.dump(2, ' ', false, Json::error_handler_t::replace);
    // The marks with their keys: inside a JSON string every quote is escaped, so they can only be the values.
    auto put = [&](const std::string& key, const std::string& mark, const std::string& with) {
        const std::string m = "\"" + key + "\": \"" + mark + "\"";
        const size_t at     = text.find(m);
        if (at != std::string::npos) text.replace(at + key.size() + 4, mark.size() + 2, with);
    };
    put("ids", "@IDS@", line(ids));
    put("paths", "@PATHS@", paths);
    return text + "\n";
}

Result<Exploration> parse_exploration(std::string_view text, const std::string& where) {
    Json j;
    try {
        j = Json::parse(text.begin(), text.end());
    } catch (const std::exception& ex) {
        return fail(where, "", std::string("not valid JSON (a truncated or damaged file?): ") + ex.what());
    }
    try {
        return parse_root(j, where);
    } catch (const std::exception& ex) {  // a type check missed above: still an error, never a crash
        return fail(where, "", std::string("unreadable: ") + ex.what());
    }
}

Status save_exploration(const Exploration& e, const std::string& path) {
    const std::string text = exploration_json(e);
    if (auto st = replace_file(path, text.data(), text.size()); !st)
        return make_error(st.error().code, "cannot save the exploration: %s", st.error().message.c_str());
    return {};
}

Result<Exploration> read_exploration(const std::string& path) {
    auto text = read_file(path);
    if (!text) return text.error();
    return parse_exploration(*text, path);
}

}  // namespace ts::core
