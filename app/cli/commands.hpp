// Entry points of the command-line verbs (ARCHITECTURE §5). Each returns the process exit code:
// 0 success, 1 error (one `error:` line on stderr), 2 bad usage.
#pragma once

namespace ts::app {

int cmd_run(int argc, char** argv);       // app/cli/run.cpp
int cmd_info(int argc, char** argv);      // app/cli/info.cpp
int cmd_bench(int argc, char** argv);     // app/cli/bench.cpp
int cmd_tokenize(int argc, char** argv);  // app/cli/tokenize.cpp
int cmd_train(int argc, char** argv);     // app/cli/train.cpp
int cmd_eval(int argc, char** argv);      // app/cli/eval.cpp
int cmd_heads(int argc, char** argv);     // app/cli/heads.cpp
int cmd_compare(int argc, char** argv);   // app/cli/compare.cpp
int cmd_lesson(int argc, char** argv);    // app/cli/lesson.cpp
int cmd_version(int argc, char** argv);   // app/cli/version.cpp (also `tokenscope --version`)
int cmd_gui(int argc, char** argv);       // app/ui (the explorer)
int cmd_shot(int argc, char** argv);      // app/ui (offscreen capture)

}  // namespace ts::app
