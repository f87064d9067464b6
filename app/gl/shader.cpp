// Shader compilation and linking with the driver's info log in the error.
#include "app/gl/shader.hpp"

#include <string>

#include "app/gl/gl.hpp"

namespace ts::app::gl {
namespace {

std::string shader_log(GLuint s) {
    GLint n = 0;
    glGetShaderiv(s, GL_INFO_LOG_LENGTH, &n);
    std::string log(size_t(n > 0 ? n : 0), '\0');
    if (n > 0) glGetShaderInfoLog(s, n, nullptr, log.data());
    while (!log.empty() && (log.back() == '\0' || log.back() == '\n')) log.pop_back();
    return log;
}

std::string program_log(GLuint p) {
    GLint n = 0;
    glGetProgramiv(p, GL_INFO_LOG_LENGTH, &n);
    std::string log(size_t(n > 0 ? n : 0), '\0');
    if (n > 0) glGetProgramInfoLog(p, n, nullptr, log.data());
    while (!log.empty() && (log.back() == '\0' || log.back() == '\n')) log.pop_back();
    return log;
}

core::Result<GLuint> compile(const char* name, GLenum kind, const char* src) {
    const GLuint s = glCreateShader(kind);
    glShaderSource(s, 1, &src, nullptr);
    glCompileShader(s);
    GLint ok = 0;
    glGetShaderiv(s, GL_COMPILE_STATUS, &ok);
    if (!ok) {
        const std::string log = shader_log(s);
        glDeleteShader(s);
        return core::make_error(core::Code::kInternal, "%s: %s shader does not compile: %s", name,
                                kind == GL_VERTEX_SHADER ? "vertex" : "fragment", log.c_str());
    }
    return s;
}

}  // namespace

core::Result<ShaderProgram> ShaderProgram::build(const char* name, const char* vert_src, const char* frag_src) {
    auto vs = compile(name, GL_VERTEX_SHADER, vert_src);
    if (!vs) return vs.error();
    auto fs = compile(name, GL_FRAGMENT_SHADER, frag_src);
    if (!fs) {
        glDeleteShader(*vs);
        return fs.error();
    }
    const GLuint p = glCreateProgram();
    glAttachShader(p, *vs);
    glAttachShader(p, *fs);
    glLinkProgram(p);
    glDetachShader(p, *vs);
    glDetachShader(p, *fs);
    glDeleteShader(*vs);
    glDeleteShader(*fs);
    GLint ok = 0;
    glGetProgramiv(p, GL_LINK_STATUS, &ok);
    if (!ok) {
        const std::string log = program_log(p);
        glDeleteProgram(p);
        return core::make_error(core::Code::kInternal, "%s: program does not link: %s", name, log.c_str());
    }
    return ShaderProgram(p);
}

ShaderProgram::~ShaderProgram() {
    if (id_) glDeleteProgram(id_);
}

ShaderProgram& ShaderProgram::operator=(ShaderProgram&& o) noexcept {
    if (this != &o) {
        if (id_) glDeleteProgram(id_);
        id_   = o.id_;
        o.id_ = 0;
    }
    return *this;
}

int ShaderProgram::uniform(const char* name) const {
    return glGetUniformLocation(id_, name);
}

}  // namespace ts::app::gl
