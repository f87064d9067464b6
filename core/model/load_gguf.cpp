// Loading a GGUF model: parse the mapped file, read the hyper-parameters, bind and check every weight, and read the
// tokenizer from the same file (a missing or unreadable tokenizer leaves Model::tokenizer null with a note and the
// reason; a tokenizer whose size disagrees with token_embd's rows is an error, as in llama.cpp, since ids of one
// would index rows the other does not have).
#include <new>
#include <string_view>

#include "core/gguf/gguf_reader.hpp"
#include "core/model/loader.hpp"

namespace ts::core::model_detail {

Result<std::shared_ptr<const Model>> load_gguf(std::shared_ptr<const MappedFile> map) {
    auto file = gguf::GgufFile::parse(map->data(), map->size(), map->path());
    if (!file) return file.error();
    const gguf::GgufFile& f = *file;

    auto hp = read_hparams(f);
    if (!hp) return hp.error();

    auto m    = std::make_shared<Model>();
    m->path   = map->path();
    m->format = "gguf v" + std::to_string(f.version());
    m->hp     = *hp;
    TS_TRY(bind_weights(f, m->hp, m->w));
    count_params(*m);
    if (m->hp.arch == Arch::Phi3 && f.find("phi3.attention.sliding_window"))
        m->notes.push_back(
            "phi3.attention.sliding_window is in the file but not applied: llama.cpp disables Phi's "
            "sliding window too, so both attend over the whole context");
    // olmoe, gemma4: routing keys llama.cpp does not read for them (olmoe's graph always takes the softmax's top
    // experts with their probabilities as the weights and sizes the experts by feed_forward_length; gemma4's takes
    // them renormalised, beside its MLP), shown and not applied, as there.
    const bool olmoe = m->hp.arch == Arch::Olmoe, gemma4 = m->hp.arch == Arch::Gemma4 && m->hp.is_moe();
    if (olmoe || gemma4)
        for (const char* key : {"expert_feed_forward_length", "expert_weights_norm", "expert_weights_scale",
                                "expert_gating_func", "expert_shared_count"}) {
            const std::string name = m->hp.arch_name + "." + key;
            if (gemma4 && std::string_view(key) == "expert_feed_forward_length") continue;  // read
            if (f.find(name))
                m->notes.push_back(name + " is in the file but not applied: llama.cpp's " + m->hp.arch_name +
                                   " does not read it either " +
                                   (olmoe ? "(softmax, the chosen probabilities as they are, experts of "
                                            "feed_forward_length)"
                                          : "(softmax, the chosen weights renormalised to sum 1, the MLP kept as a "
                                            "shared expert)"));
        }

    auto tok = Tokenizer::from_gguf(f);
    if (tok) {
        if ((*tok)->n_vocab() != m->hp.n_vocab)
            return make_error(Code::kFormat,
                              "%s: the tokenizer has %d tokens but tensor 'token_embd.weight' has %d rows (n_vocab); "
                              "they must agree",
                              f.name().c_str(), (*tok)->n_vocab(), m->hp.n_vocab);
        m->tokenizer = *tok;
    } else {
        m->tokenizer_error = tok.error().message;
        m->notes.push_back("no tokenizer: " + tok.error().message);
    }
    m->map = std::move(map);
    return std::shared_ptr<const Model>(std::move(m));
}

}  // namespace ts::core::model_detail
