// Builds the Geometry panel's PCA projections and candidate directions (see view_geometry.hpp).
#include "app/ui/view_geometry.hpp"

#include <algorithm>
#include <cmath>

#include "app/ui/view_journey.hpp"
#include "core/tensor/quant.hpp"
#include "core/trace/derive.hpp"

namespace ts::app {

GeometryData build_geometry(const core::Model& model, std::span<const core::StepTracePtr> steps, int sel_pos,
                            std::span<const int32_t> cand_ids) {
    GeometryData g;
    const int d = model.hp.n_embd;
    g.n         = int(steps.size());
    g.sel_pos   = sel_pos;
    std::vector<float> emb(size_t(g.n) * size_t(d)), hid;
    std::vector<float> sel_hidden;
    for (int p = 0; p < g.n; ++p) {
        const core::StepTrace& st = *steps[size_t(p)];
        g.tokens.push_back(st.token);
        const std::vector<float> row = core::derive::embedding_row(model, st.token);
        std::copy(row.begin(), row.end(), emb.begin() + size_t(p) * size_t(d));
        std::vector<float> h = core::derive::final_norm_of(model, st);
        if (h.empty()) continue;
        if (p == sel_pos) sel_hidden = h;
        hid.insert(hid.end(), h.begin(), h.end());
        g.hidden_pos.push_back(p);
    }
    g.emb    = pca2(emb, g.n, d);
    g.hidden = pca2(hid, int(g.hidden_pos.size()), d);

    const core::Tensor& out = model.w.output;
    std::vector<float> row(static_cast<size_t>(d));
    for (int32_t id : cand_ids) {
        if (id < 0 || id >= out.n_rows()) continue;
        core::dequantize_row(out.type, out.row(id), row.data(), d);
        const float len = l2_norm(row);
        if (len > 0)
            for (float& x : row) x /= len;
        float xy[2] = {0, 0};
        if (g.hidden.n > 0) project_direction(g.hidden, row.data(), xy);
        g.cand_ids.push_back(id);
        g.cand_dir.push_back(xy[0]);
        g.cand_dir.push_back(xy[1]);
        g.cand_cos.push_back(sel_hidden.empty() ? 0.0f : cosine(sel_hidden.data(), row.data(), d));
        double logit = 0;
        for (int j = 0; j < d && !sel_hidden.empty(); ++j)
            logit += double(sel_hidden[size_t(j)]) * double(row[size_t(j)]);
        g.cand_logit.push_back(float(logit) * len);
    }
    return g;
}

}  // namespace ts::app
