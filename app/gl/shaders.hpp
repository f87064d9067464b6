// GLSL sources of shaders/, embedded at build time by app/gl/embed_shaders.cmake (one constant per file).
#pragma once

namespace ts::app::gl {

extern const char* const kShader_heatmap_vert;  // shaders/heatmap.vert
extern const char* const kShader_heatmap_frag;  // shaders/heatmap.frag

}  // namespace ts::app::gl
