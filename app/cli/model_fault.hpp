// A model file truncated or rewritten in place while it is mapped makes the next read of a vanished page raise
// SIGBUS, which by default kills the process (exit 135, no word why). install_model_fault_handler() turns that into
// "error: model file changed on disk while in use: PATH" and exit 1. Process-wide by nature (a signal disposition),
// so it lives in app/, not core; core only answers "which mapped file holds this address" (find_mapped_file).
#pragma once

namespace ts::app {

// Installs the SIGBUS handler (main() calls it once, before any verb). A SIGBUS at an address outside every model
// mapping gets the default action, as before.
void install_model_fault_handler();

}  // namespace ts::app
