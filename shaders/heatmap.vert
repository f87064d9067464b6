#version 330 core
// Heatmap quad: a unit square [0,1]^2 placed at u_rect (x0, y0, x1, y1 in clip space); v_uv runs over the
// value texture (u: key column, v: query row). Texel row r of the value texture lands on texel row r of the
// target, so a texture drawn by ImGui (v = 0 at the top) shows row 0 at the top.
layout(location = 0) in vec2 a_pos;
uniform vec4 u_rect;
out vec2 v_uv;

void main() {
    v_uv        = a_pos;
    vec2 p      = mix(u_rect.xy, u_rect.zw, a_pos);
    gl_Position = vec4(p, 0.0, 1.0);
}
