// What the model fuzzers check on every model load_model() accepts: each bound tensor lies inside the input bytes
// and has the shape the hyper-parameters give it, the tokenizer (when there is one) agrees with the embedding on
// n_vocab and encodes to ids in range, and one forward step over a context of 4 runs without a sanitizer report.
// A refused input must come with a message. Used by fuzz_load_model.cpp and fuzz_llama2c.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "core/base/check.hpp"
#include "core/model/forward.hpp"
#include "core/model/model.hpp"
#include "core/tensor/thread_pool.hpp"

namespace ts::fuzz {

inline void check_tensor(const core::Tensor& t, const uint8_t* data, size_t size, bool optional = false) {
    if (!t.data) {
        TS_CHECK(optional, "a required tensor is bound");
        return;
    }
    const auto* p = static_cast<const uint8_t*>(t.data);
    TS_CHECK(p >= data && p + t.nbytes <= data + size, "tensor data inside the input");
    volatile uint8_t sink = 0;
    for (size_t k = 0; k < t.nbytes; k += 61) sink = sink + p[k];  // ASan sees every page the views cover
    if (t.nbytes) sink = sink + p[t.nbytes - 1];
}

inline void check_model(const core::Result<std::shared_ptr<const core::Model>>& r, const uint8_t* data, size_t size) {
    if (!r.ok()) {
        TS_CHECK(!r.error().message.empty(), "every error has a message");
        return;
    }
    const core::Model& m    = **r;
    const core::Hparams& hp = m.hp;
    TS_CHECK(hp.n_layer > 0 && size_t(hp.n_layer) == m.w.layers.size(), "one LayerWeights per layer");
    TS_CHECK(hp.n_embd == hp.n_head * hp.head_dim && hp.n_head % hp.n_head_kv == 0, "head shapes consistent");
    TS_CHECK(m.w.token_embd.ne[0] == hp.n_embd && m.w.token_embd.ne[1] == hp.n_vocab, "token_embd is n_embd x n_vocab");
    check_tensor(m.w.token_embd, data, size);
    check_tensor(m.w.output_norm, data, size);
    check_tensor(m.w.output, data, size);
    for (const core::LayerWeights& L : m.w.layers) {
        for (const core::Tensor* t :
             {&L.attn_norm, &L.wq, &L.wk, &L.wv, &L.wo, &L.ffn_norm, &L.w_gate, &L.w_up, &L.w_down})
            check_tensor(*t, data, size);
        for (const core::Tensor* t : {&L.bq, &L.bk, &L.bv}) check_tensor(*t, data, size, true);
        TS_CHECK(L.wk.ne[1] == hp.kv_dim() && L.w_down.ne[0] == hp.n_ff, "layer shapes follow the hyper-parameters");
    }
    if (m.tokenizer) {
        TS_CHECK(m.tokenizer->n_vocab() == hp.n_vocab, "tokenizer and embedding agree on n_vocab");
        auto ids = m.tokenizer->encode("Hello, world! \xC3\xA9\xE2\x96\x81 <s>", true, true);
        if (ids.ok())
            for (int32_t id : *ids) TS_CHECK(id >= 0 && id < hp.n_vocab, "encoded ids in range");
    } else {
        TS_CHECK(!m.tokenizer_error.empty(), "a missing tokenizer has a reason");
    }

    // One forward step: every validated hyper-parameter combination must be computable.
    static core::ThreadPool pool(1);
    core::Forward fwd(m, 4, 2);
    auto cache = fwd.make_cache();
    if (!cache.ok()) return;  // out of memory is an answer too
    std::vector<float> logits(size_t(hp.n_vocab));
    const int32_t tokens[2] = {0, hp.n_vocab - 1};
    const core::Status st   = fwd.eval(*cache, tokens, 2, 0, logits.data(), core::LogitRows::Last, pool);
    TS_CHECK(st.ok(), "a forward step over valid tokens succeeds");
}

}  // namespace ts::fuzz
