// ShaderProgram: compiles and links a vertex + fragment shader pair, reporting the driver's log on failure.
// Needs a current GL context (create, use and destroy on the UI thread).
#pragma once

#include "core/base/result.hpp"

namespace ts::app::gl {

class ShaderProgram {
public:
    // `name` only labels error messages ("heatmap: fragment shader: 0:12(3): error: ...").
    [[nodiscard]] static core::Result<ShaderProgram> build(const char* name, const char* vert_src,
                                                           const char* frag_src);
    ShaderProgram() = default;
    ~ShaderProgram();
    ShaderProgram(ShaderProgram&& o) noexcept : id_(o.id_) { o.id_ = 0; }
    ShaderProgram& operator=(ShaderProgram&& o) noexcept;
    ShaderProgram(const ShaderProgram&)            = delete;
    ShaderProgram& operator=(const ShaderProgram&) = delete;

    unsigned id() const { return id_; }
    bool valid() const { return id_ != 0; }
    int uniform(const char* name) const;  // -1 when the program has no such active uniform

private:
    explicit ShaderProgram(unsigned id) : id_(id) {}
    unsigned id_ = 0;
};

}  // namespace ts::app::gl
