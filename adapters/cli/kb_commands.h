// The curation commands of the `careerbot kb` command line (see docs/curation.md,
// "Curating the knowledge"): search, add, edit, rm, export, import, lint,
// history, revert and gaps. Each one opens the knowledge base, calls
// knowledge/ (Curator, FindGaps, Lint, the import and export functions) and
// prints the result; changes are recorded as made by $USER.
#pragma once

#include <vector>

#include "app/config.h"

namespace adapters::cli {

// `careerbot kb NAME ...`: argv[2] is NAME; returns the exit status (0 ok,
// 1 failure or lint errors, 2 usage error).
struct KbCommand {
  const char* name;
  int (*run)(int argc, char** argv, const Environment& env);
};

// The commands above, in this file; adapters/cli/cli.cc lists the others
// (build, publish, list, show, test, train). A new kb command is one line in
// either table.
const std::vector<KbCommand>& KbCurationCommands();

}  // namespace adapters::cli
