#version 330 core
// Heatmap colouring: a float value per cell (R32F texture, nearest filtering so cells stay crisp) is mapped to
// [0,1] by u_range (min, max) and coloured by a colour map LUT (256x1 RGB texture: viridis or magma).
// NaN marks a masked cell (a future key under the causal mask) and is drawn in u_masked.
in vec2 v_uv;
uniform sampler2D u_values;
uniform sampler2D u_lut;
uniform vec2 u_range;
uniform vec4 u_masked;
out vec4 frag_color;

void main() {
    float v = texture(u_values, v_uv).r;
    if (isnan(v)) {
        frag_color = u_masked;
        return;
    }
    float t    = clamp((v - u_range.x) / max(u_range.y - u_range.x, 1e-30), 0.0, 1.0);
    // Sample LUT texel centres so t = 0 and t = 1 give exactly the first and last entries.
    float x    = (t * 255.0 + 0.5) / 256.0;
    frag_color = vec4(texture(u_lut, vec2(x, 0.5)).rgb, 1.0);
}
