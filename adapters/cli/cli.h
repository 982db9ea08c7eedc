// The `careerbot` command line: serve, ask, eval and the kb commands. The
// CLI is an adapter like HTTP: it turns arguments into calls on the Service
// and the knowledge store and prints their results.
#pragma once

namespace adapters::cli {

// Runs the command line; returns the process exit status (0 ok, 1 failure,
// 2 usage error).
int Main(int argc, char** argv);

}  // namespace adapters::cli
