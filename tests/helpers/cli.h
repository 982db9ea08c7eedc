// Runs the built `careerbot` as a user would, for the command-line tests:
// in a temporary folder, with a knowledge base, HOME and XDG_DATA_HOME of
// its own, stdin closed, its output and exit code captured.
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <string>

#include "files.h"

namespace testing_helpers {

struct Run {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// `s` single-quoted for /bin/sh.
inline std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Runs careerbot with `args` (quoted where needed) in `dir`, with `env`
// ("NAME=value ...") added to the environment.
inline Run Careerbot(const TempDir& dir, const std::string& args, const std::string& env = "") {
  const std::string out = dir.File("stdout.txt"), err = dir.File("stderr.txt");
  std::string cmd = "cd " + Quote(dir.path()) + " && env CAREERBOT_DB=" + Quote(dir.File("default.db")) +
                    " HOME=" + Quote(dir.path()) + " XDG_DATA_HOME=" + Quote(dir.File("xdg")) + " " + env + " " +
                    Quote(CAREERBOT_BINARY) + " " + args + " >" + Quote(out) + " 2>" + Quote(err) + " </dev/null";
  Run r;
  int status = std::system(cmd.c_str());
  r.exit_code = status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  ReadWholeFile(out, &r.out);
  ReadWholeFile(err, &r.err);
  return r;
}

}  // namespace testing_helpers
