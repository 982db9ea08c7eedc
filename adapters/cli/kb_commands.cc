#include "adapters/cli/kb_commands.h"

namespace adapters::cli {

bool IsKbCurationCommand(const std::string&) { return false; }
int RunKbCurationCommand(int, char**) { return 2; }

}  // namespace adapters::cli
