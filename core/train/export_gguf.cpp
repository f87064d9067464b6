// GGUF export of a trained model (see export_gguf.hpp).
#include "core/train/export_gguf.hpp"

#include <cmath>

#include "core/gguf/gguf_writer.hpp"

namespace ts::core::train {

std::vector<gguf::KeyValue> model_metadata(const TrainState& st, const TrainRecord& rec) {
    using gguf::Value;
    const ModelConfig& c  = st.config;
    const TrainOptions& o = st.opt;
    const Vocab& v        = st.vocab;
    std::vector<gguf::KeyValue> kv;
    auto add = [&](std::string key, Value val) { kv.push_back(gguf::KeyValue{std::move(key), std::move(val)}); };
    add("general.architecture", Value::make_string("llama"));
    add("general.name", Value::make_string(rec.name));
    add("general.file_type", Value::make_u32(0));  // all F32
    add("general.description",
        Value::make_string("Trained by tokenscope train (byte-level BPE + llama transformer) on " + rec.corpus));
    add("llama.vocab_size", Value::make_u32(uint32_t(c.n_vocab)));
    add("llama.context_length", Value::make_u32(uint32_t(c.n_ctx)));
    add("llama.embedding_length", Value::make_u32(uint32_t(c.n_embd)));
    add("llama.block_count", Value::make_u32(uint32_t(c.n_layer)));
    add("llama.feed_forward_length", Value::make_u32(uint32_t(c.n_ff)));
    add("llama.attention.head_count", Value::make_u32(uint32_t(c.n_head)));
    add("llama.attention.head_count_kv", Value::make_u32(uint32_t(c.n_head_kv)));
    add("llama.attention.layer_norm_rms_epsilon", Value::make_f32(c.norm_eps));
    add("llama.rope.freq_base", Value::make_f32(c.rope_base));
    add("llama.rope.dimension_count", Value::make_u32(uint32_t(c.head_dim())));

    add("tokenizer.ggml.model", Value::make_string("gpt2"));
    add("tokenizer.ggml.pre", Value::make_string(v.pre));
    add("tokenizer.ggml.tokens", Value::make_string_array(v.tokens));
    std::vector<int32_t> types;
    for (TokenType t : v.types) types.push_back(int32_t(t));
    add("tokenizer.ggml.token_type", Value::make_i32_array(types));
    add("tokenizer.ggml.merges", Value::make_string_array(v.merges));
    add("tokenizer.ggml.bos_token_id", Value::make_u32(uint32_t(v.bos)));
    add("tokenizer.ggml.eos_token_id", Value::make_u32(uint32_t(v.eos)));
    add("tokenizer.ggml.add_bos_token", Value::make_bool(v.add_bos));
    add("tokenizer.ggml.add_eos_token", Value::make_bool(v.add_eos));

    // The record: enough to repeat the run and to judge it.
    add("tokenscope.train.corpus", Value::make_string(rec.corpus));
    add("tokenscope.train.command", Value::make_string(rec.command));
    add("tokenscope.train.seed", Value::make_u64(o.seed));
    add("tokenscope.train.steps", Value::make_u64(uint64_t(st.step)));
    add("tokenscope.train.batch", Value::make_u32(uint32_t(o.batch)));
    add("tokenscope.train.lr", Value::make_f32(o.lr));
    add("tokenscope.train.lr_min", Value::make_f32(o.lr * o.lr_min_frac));
    add("tokenscope.train.warmup", Value::make_u64(uint64_t(o.warmup_steps())));
    add("tokenscope.train.weight_decay", Value::make_f32(o.adam.weight_decay));
    add("tokenscope.train.grad_clip", Value::make_f32(o.grad_clip));
    add("tokenscope.train.val_frac", Value::make_f32(o.val_frac));
    add("tokenscope.train.tokens_seen", Value::make_u64(uint64_t(st.tokens_seen)));
    add("tokenscope.train.wall_seconds", Value::make_f32(float(rec.wall_s > 0 ? rec.wall_s : st.wall_s)));
    if (!st.train_loss.empty()) {
        // The last 1% of steps (at least one), averaged: a steadier figure than the last step's loss.
        const size_t n = std::max<size_t>(1, st.train_loss.size() / 100);
        double s       = 0;
        for (size_t i = st.train_loss.size() - n; i < st.train_loss.size(); ++i) s += st.train_loss[i];
        add("tokenscope.train.train_loss", Value::make_f32(float(s / double(n))));
        add("tokenscope.train.loss_curve", Value::make_f32_array(st.train_loss));
    }
    if (!st.val_loss.empty()) {
        add("tokenscope.train.val_loss", Value::make_f32(st.val_loss.back().second));
        std::vector<int32_t> steps;
        std::vector<float> losses;
        for (const auto& [step, loss] : st.val_loss) steps.push_back(int32_t(step)), losses.push_back(loss);
        add("tokenscope.train.val_curve_steps", Value::make_i32_array(steps));
        add("tokenscope.train.val_curve", Value::make_f32_array(losses));
    }
    return kv;
}

Status write_model_gguf(const std::string& path, const TrainState& st, const TrainRecord& rec) {
    auto model = TrainModel::create(st.config);
    if (!model.ok()) return model.error();
    if (int64_t(st.w.size()) != model->n_params())
        return make_error(Code::kInternal, "%s: state holds %zu weights, the model needs %lld", path.c_str(),
                          st.w.size(), (long long)model->n_params());
    gguf::GgufWriter w;
    for (gguf::KeyValue& kv : model_metadata(st, rec)) w.add(std::move(kv.key), std::move(kv.value));
    for (const ParamInfo& p : model->params()) {
        std::vector<float> values(st.w.begin() + p.offset, st.w.begin() + p.offset + p.size);
        w.add_tensor_f32(p.name, p.ne, values);
    }
    return w.write(path);
}

}  // namespace ts::core::train
