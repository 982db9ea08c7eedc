// The one command-line parser every careerbot command uses (serve, ask,
// eval, kb ..., discord register), on CLI11 (Debian's libcli11-dev). A
// command declares its flags as a table of FlagSpec; Parse() reads them
// and the positional arguments, and refuses an unknown flag or a flag
// without its value with one line on stderr ("careerbot kb build: unknown
// flag --x (see careerbot kb build --help)"); the caller exits 2.
// PrintUsage() writes the command's --help from the same table.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "app/config.h"
#include "bot/answerer.h"

namespace adapters::cli {

struct FlagSpec {
  const char* name;  // without "--"
  bool takes_value;  // false: a switch
  const char* help;
};

// The help flag every command takes (-h too).
inline constexpr FlagSpec kHelpFlag = {"help", false, "show this help"};
inline constexpr FlagSpec kDbFlag = {"db", true, "knowledge base file ($CAREERBOT_DB)"};
// The flags of the commands that answer (ask, eval, kb test), with their variables.
inline constexpr FlagSpec kThresholdFlag = {"threshold", true, "decline below this confidence ($CAREERBOT_THRESHOLD)"};
inline constexpr FlagSpec kClarifyFloorFlag = {
    "clarify-floor", true,
    "ask back (kind clarify) from this confidence up to the threshold; 1 for never ($CAREERBOT_CLARIFY_FLOOR, "
    "default 0.33)"};
inline constexpr FlagSpec kRankerFlag = {
    "ranker", true,
    "learned ranker: 'builtin' (default: the shipped model), a model file, or 'none' (the hand-set ranking alone) "
    "($CAREERBOT_RANKER)"};

struct Args {
  // Every value of each flag given, in order (a flag may repeat: --question
  // A --question B); a switch holds "1".
  std::map<std::string, std::vector<std::string>> flags;
  std::vector<std::string> positional;

  bool Has(const std::string& f) const { return flags.count(f) > 0; }
  // The last value of `f`, or `def`.
  std::string Get(const std::string& f, const std::string& def = "") const;
  std::vector<std::string> All(const std::string& f) const;
  // The last value of each flag given, for BuildConfig (app/config.h).
  Flags Given() const;
};

// Parses argv[first..] against `specs` for `command` ("kb build"). "--"
// ends the flags; --name=value and --name value both work; -h is --help.
// On a usage error prints one line on stderr and returns false.
bool Parse(int argc, char** argv, int first, const std::vector<FlagSpec>& specs, const std::string& command,
           Args* out);

// Parse() for a command whose --help is `help` followed by its flags:
// returns -1 to go on, else the exit status to return at once (0 after
// printing the help, 2 after a usage error, including a positional argument
// when `positional` is false: "unexpected argument 'x'").
int ParseCommand(int argc, char** argv, int first, const std::vector<FlagSpec>& specs, const std::string& command,
                 const std::string& help, Args* out, bool positional = true);

// "usage: careerbot SYNOPSIS\n\nTEXT\n" then one line per flag.
void PrintUsage(const std::string& synopsis, const std::string& text, const std::vector<FlagSpec>& specs);
// One line per flag: "  --name VALUE               help".
void PrintFlags(const std::vector<FlagSpec>& specs);

// Builds the configuration from the flags given and the environment
// (app/config.h); a bad value prints "careerbot COMMAND: ..." and returns
// false (the caller exits 2).
bool ConfigFrom(const Args& args, const Environment& env, bool serve, const std::string& command, Config* out);

// The answerer's options from the configuration: the learned ranker
// ("builtin" or a model file) and the threshold and clarification floor.
// A ranker that cannot be loaded prints one line and returns false.
bool AnswererOptionsFrom(const AnswerConfig& config, const std::string& command, bot::AnswererOptions* out);

// Both of the above for a command that answers (not serve); false (after one
// line on stderr) when a value is bad.
bool AnswerSetup(const Args& args, const Environment& env, const std::string& command, Config* config,
                 bot::AnswererOptions* options);

// A whole number or a number in *out; false for "", "12x" and the like.
bool ParseNumber(const std::string& s, long* out);
bool ParseNumber(const std::string& s, double* out);

// Reads a whole file ("-": standard input); false when it cannot be read.
bool ReadFile(const std::string& path, std::string* out);

// Prints "careerbot COMMAND: MESSAGE" on stderr and returns `status`.
int Fail(const std::string& command, const std::string& message, int status = 1);

}  // namespace adapters::cli
