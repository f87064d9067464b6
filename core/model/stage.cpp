// Shapes and lookups of the stage descriptions (stage.hpp); the descriptions themselves are in arch/*.cpp.
#include "core/model/stage.hpp"

#include <cstdio>

#include "core/model/arch/arch.hpp"
#include "core/model/model.hpp"

namespace ts::core {

const ArchDesc& arch_desc(Arch arch) {
    switch (arch) {
        case Arch::Gpt2:
            return gpt2_desc();
        case Arch::Gemma2:
        case Arch::Gemma3:
            return gemma_desc(arch);
        case Arch::Gemma4:
            return gemma4_desc();
        case Arch::Qwen35:
            return qwen35_desc();
        case Arch::Llama:
        case Arch::Qwen2:
        case Arch::Qwen3:
        case Arch::Qwen3Moe:
        case Arch::Olmoe:
        case Arch::Phi3:
            break;
    }
    return llama_family_desc(arch);
}

const ArchDesc& arch_desc(const Hparams& hp) {
    return hp.arch == Arch::Gemma4 && hp.is_moe() ? gemma4_moe_desc() : arch_desc(hp.arch);
}

const StageDesc* find_stage(const ArchDesc& arch, Stage s) {
    for (auto list : {arch.before, arch.block, arch.after})
        for (const StageDesc& d : list)
            if (d.id == s) return &d;
    return nullptr;
}

bool layer_has_stage(const Hparams& hp, int il, Stage s) {
    if (hp.arch != Arch::Qwen35 || il < 0) return true;
    switch (s) {
        case Stage::QProj:
        case Stage::KProj:
        case Stage::V:
        case Stage::QNorm:
        case Stage::KNorm:
        case Stage::Q:
        case Stage::K:
        case Stage::AttnScores:
        case Stage::AttnProbs:
        case Stage::AttnOut:
        case Stage::AttnGate:
        case Stage::AttnProj:
            return !hp.is_recurrent(il);
        default:
            return !is_linear_attn_stage(s) || hp.is_recurrent(il);
    }
}

StageShape stage_shape(Dims d, const Hparams& hp, int n_pos, int layer) {
    const bool own = layer >= 0 && layer < hp.n_layer;  // a layer's own sizes (gemma4's differ), else the largest
    switch (d) {
        case Dims::SsmConv:
            return {1, hp.ssm_conv_dim()};
        case Dims::SsmGroups:
            return {hp.ssm_n_group, hp.ssm_d_state};
        case Dims::SsmHeads:
            return {hp.ssm_dt_rank, hp.ssm_head_v()};
        case Dims::SsmGates:
            return {1, hp.ssm_dt_rank};
        case Dims::Embd:
            return {1, hp.n_embd};
        case Dims::Rope:
            return {2, (own ? hp.n_rot_of(layer) : hp.n_rot) / 2};
        case Dims::RopeSwa:
            return {2, (hp.n_rot_swa > 0 ? hp.n_rot_swa : hp.n_rot) / 2};
        case Dims::QHeads:
            return {hp.n_head, own ? hp.head_dim_of(layer) : hp.head_dim};
        case Dims::KvHeads:
            return {own ? hp.n_head_kv_of(layer) : hp.n_head_kv, own ? hp.head_dim_of(layer) : hp.head_dim};
        case Dims::HeadKeys:
            return {hp.n_head, n_pos};
        case Dims::Ff:
            return {hp.ff_rows(), own ? hp.n_ff_of(layer) : hp.n_ff};
        case Dims::Vocab:
            return {1, hp.n_vocab};
        case Dims::Experts:
            return {1, hp.n_expert};
        case Dims::Route:
            return {2, hp.n_expert_used};
        case Dims::ExpertsEmbd:
            return {hp.n_expert_used, hp.n_embd};
        case Dims::ExpertsFf:
            return {hp.n_expert_used, hp.expert_ff()};
        case Dims::PerLayer:
            return {1, hp.n_embd_per_layer};
        case Dims::LayersPerLayer:
            return {hp.n_layer, hp.n_embd_per_layer};
    }
    return {};
}

std::string describe_dims(Dims d, const Hparams& hp, int n_pos, int layer) {
    const StageShape s = stage_shape(d, hp, n_pos, layer);
    char buf[96];
    switch (d) {
        case Dims::Rope:
        case Dims::RopeSwa:
            std::snprintf(buf, sizeof buf, "[2 × %d] (cos, sin of each rotated pair)", s.cols);
            break;
        case Dims::QHeads:
        case Dims::KvHeads:
            std::snprintf(buf, sizeof buf, "[%d %sheads × %d] = %d floats", s.rows, d == Dims::KvHeads ? "kv " : "",
                          s.cols, s.rows * s.cols);
            break;
        case Dims::HeadKeys:
            std::snprintf(buf, sizeof buf, "[%d heads × %d keys]", s.rows, s.cols);
            break;
        case Dims::Ff:
            if (s.rows > 1)
                std::snprintf(buf, sizeof buf, "[%d experts × %d]", s.rows, s.cols);
            else
                std::snprintf(buf, sizeof buf, "[%d]", s.cols);
            break;
        case Dims::Experts:
            std::snprintf(buf, sizeof buf, "[%d experts]", s.cols);
            break;
        case Dims::Route:
            std::snprintf(buf, sizeof buf, "[2 × %d] (chosen experts, weights)", s.cols);
            break;
        case Dims::ExpertsEmbd:
        case Dims::ExpertsFf:
            std::snprintf(buf, sizeof buf, "[%d experts × %d]", s.rows, s.cols);
            break;
        case Dims::LayersPerLayer:
            std::snprintf(buf, sizeof buf, "[%d layers × %d]", s.rows, s.cols);
            break;
        case Dims::SsmGroups:
        case Dims::SsmHeads:
            std::snprintf(buf, sizeof buf, "[%d %s heads × %d]", s.rows, d == Dims::SsmGroups ? "q/k" : "value",
                          s.cols);
            break;
        case Dims::SsmGates:
            std::snprintf(buf, sizeof buf, "[%d value heads]", s.cols);
            break;
        default:
            std::snprintf(buf, sizeof buf, "[%d]", s.cols);
            break;
    }
    return buf;
}

}  // namespace ts::core
