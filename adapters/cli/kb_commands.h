// The curation commands of the `careerbot kb` command line (see docs/curation.md,
// "Curating the knowledge"): list, show, search, add, edit, rm, export,
// import, lint, history, revert and gaps. Each one opens the knowledge base,
// calls knowledge/ (Curator, FindGaps, Lint, the import and export
// functions) and prints the result; changes are recorded as made by $USER.
#pragma once

#include <string>

namespace adapters::cli {

// True when `sub` ("add", "gaps", ...) is one of the commands below.
bool IsKbCurationCommand(const std::string& sub);

// Runs `careerbot kb SUB ...` (argv[2] is SUB); returns the exit status
// (0 ok, 1 failure or lint errors, 2 usage error).
int RunKbCurationCommand(int argc, char** argv);

}  // namespace adapters::cli
