// The one place that includes the OpenGL loader and GLFW, in the right order. Only app/gl/*.cpp include it:
// panels and the shell never see GL or GLFW types.
#pragma once

#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>
#include <glad/gl.h>
