// Running a lesson headless: each step's actions on a Session, then its facts against the numbers (lesson.hpp).
// The facts themselves are measured in lesson_facts.cpp.
#include <cstdio>

#include "core/lesson/lesson.hpp"
#include "core/lesson/lesson_internal.hpp"
#include "core/session/session.hpp"

namespace ts::core::lesson {

bool LessonReport::ok() const {
    for (const StepResult& s : steps)
        if (!s.ok) return false;
    return true;
}

int LessonReport::n_facts() const {
    int n = 0;
    for (const StepResult& s : steps) n += int(s.facts.size());
    return n;
}

int LessonReport::n_failed() const {
    int n = 0;
    for (const StepResult& s : steps) {
        n += !s.error.empty();
        for (const FactResult& f : s.facts) n += !f.ok;
    }
    return n;
}

std::string quote_token(std::string_view bytes) {
    std::string out = "'";
    for (unsigned char c : bytes) {
        if (c == '\n') {
            out += "\\n";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c == '\'') {
            out += "\\'";
        } else if (c < 0x20 || c == 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        } else {
            out += char(c);
        }
    }
    return out + "'";
}

Result<int32_t> resolve_token(const Session& session, const TokenRef& t) {
    return token_id(session.model(), t);
}

Result<int32_t> token_id(const Model& m, const TokenRef& t) {
    if (t.id >= 0) {
        if (t.id >= m.hp.n_vocab)
            return make_error(Code::kInvalidArgument, "token id %d is outside the vocabulary (%d)", t.id, m.hp.n_vocab);
        return t.id;
    }
    if (!m.tokenizer)
        return make_error(Code::kInvalidArgument, "the model has no tokenizer to read %s", t.text.c_str());
    auto ids = m.tokenizer->encode(t.text, false, true);
    if (!ids) return ids.error();
    if (ids->size() != 1) {
        std::string pieces;
        for (int32_t id : *ids) pieces += (pieces.empty() ? "" : " + ") + quote_token(m.tokenizer->token_bytes(id));
        return Error{Code::kInvalidArgument,
                     quote_token(t.text) + " is " + std::to_string(ids->size()) + " tokens (" + pieces + "), not one"};
    }
    return (*ids)[0];
}

Result<int32_t> resolve_pos(const Session& session, int32_t at) {
    if (session.n_pos() == 0) return Error{Code::kInvalidArgument, "nothing is evaluated yet (no prompt)"};
    if (at < 0) return session.n_pos() - 1;
    if (at >= session.n_pos())
        return make_error(Code::kInvalidArgument, "position %d is past the newest position %d", at,
                          session.n_pos() - 1);
    return at;
}

sample::SamplerSettings patched(const SamplerPatch& p, const sample::SamplerSettings& current) {
    sample::SamplerSettings s = p.defaults ? sample::SamplerSettings{} : current;
    if (p.temp) s.temp = *p.temp;
    if (p.top_k) s.top_k = *p.top_k;
    if (p.top_p) s.top_p = *p.top_p;
    if (p.min_p) s.min_p = *p.min_p;
    if (p.repeat_penalty) s.repeat_penalty = *p.repeat_penalty;
    if (p.repeat_last_n) s.repeat_last_n = *p.repeat_last_n;
    if (p.seed) s.seed = *p.seed;
    return s;
}

namespace {

Status view_action_in_range(const Action& a, const Session& session) {
    const Hparams& hp = session.model().hp;
    switch (a.kind) {
        case ActionKind::Layer:
            if (a.n >= hp.n_layer)
                return make_error(Code::kInvalidArgument, "layer: %d, but the model has %d layers", a.n, hp.n_layer);
            break;
        case ActionKind::Head:
            if (a.n >= hp.n_head)
                return make_error(Code::kInvalidArgument, "head: %d, but the model has %d heads", a.n, hp.n_head);
            break;
        case ActionKind::Query:
            if (a.n >= session.n_pos())
                return make_error(Code::kInvalidArgument, "query: position %d, but the newest is %d", a.n,
                                  session.n_pos() - 1);
            break;
        case ActionKind::Highlight:
            if (a.to >= session.n_pos())
                return make_error(Code::kInvalidArgument, "highlight: position %d, but the newest is %d", a.to,
                                  session.n_pos() - 1);
            break;
        default:
            break;
    }
    return Status{};
}

Status apply_sampler(const SamplerPatch& p, Session& session) {
    const sample::SamplerSettings s = patched(p, session.sampler().settings());
    if (Status st = session.set_sampler(s); !st.ok()) return st;
    // The newest position's proposal, drawn again with the new settings (no forward pass).
    return session.n_pos() > 0 ? session.resample() : Status{};
}

Status with_prefix(const char* what, Status st) {
    if (st.ok()) return st;
    return Error{st.error().code, std::string(what) + ": " + st.error().message};
}

}  // namespace

Status apply_actions(const Step& step, Session& session) {
    for (const Action& a : step.actions) {
        switch (a.kind) {
            case ActionKind::Prompt:
                if (Status st = session.set_prompt(a.text); !st.ok()) return with_prefix("prompt", st);
                if (Status st = session.prefill(); !st.ok()) return with_prefix("prompt", st);
                break;
            case ActionKind::Generate:
                if (session.n_pos() == 0) return Error{Code::kInvalidArgument, "generate: no prompt yet"};
                for (int i = 0; i < a.n; ++i) {
                    auto r = session.step();
                    if (!r) return with_prefix("generate", r.error());
                }
                break;
            case ActionKind::Rewind:
                if (Status st = session.rewind(a.n); !st.ok()) return with_prefix("rewind", st);
                break;
            case ActionKind::Force: {
                auto id = resolve_token(session, a.token);
                if (!id) return with_prefix("force", id.error());
                const int pos = a.pos < 0 ? session.n_pos() : a.pos;
                if (session.n_pos() == 0) return Error{Code::kInvalidArgument, "force: no prompt yet"};
                if (pos > session.n_pos())
                    return make_error(Code::kInvalidArgument, "force: position %d is past the end (%d positions)", pos,
                                      session.n_pos());
                if (Status st = session.branch(pos, *id); !st.ok()) return with_prefix("force", st);
                break;
            }
            case ActionKind::Sampler:
                if (Status st = apply_sampler(a.sampler, session); !st.ok()) return with_prefix("sampler", st);
                break;
            default:
                if (Status st = view_action_in_range(a, session); !st.ok()) return st;
                break;
        }
    }
    return Status{};
}

LessonReport check_lesson(const Lesson& lesson, Session& session) {
    LessonReport report;
    // A fresh state: the default sampler settings; the first step's prompt replaces whatever was there.
    bool ready = session.set_sampler(sample::SamplerSettings{}).ok();
    for (size_t i = 0; i < lesson.steps.size(); ++i) {
        const Step& step = lesson.steps[i];
        StepResult r;
        r.step = int(i) + 1;
        if (!ready) {
            r.error = "an earlier step's actions failed";
        } else if (Status st = apply_actions(step, session); !st.ok()) {
            r.error = st.error().message;
            ready   = false;
        } else {
            for (const Fact& f : step.facts) r.facts.push_back(check_fact(f, session));
        }
        r.ok = r.error.empty();
        for (const FactResult& f : r.facts) r.ok = r.ok && f.ok;
        report.steps.push_back(std::move(r));
    }
    return report;
}

}  // namespace ts::core::lesson
