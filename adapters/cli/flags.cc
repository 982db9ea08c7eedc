#include "adapters/cli/flags.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>

#include <CLI/CLI.hpp>

#include "bot/ranking.h"

namespace adapters::cli {

std::string Args::Get(const std::string& f, const std::string& def) const {
  auto it = flags.find(f);
  return it == flags.end() || it->second.empty() ? def : it->second.back();
}

std::vector<std::string> Args::All(const std::string& f) const {
  auto it = flags.find(f);
  return it == flags.end() ? std::vector<std::string>{} : it->second;
}

Flags Args::Given() const {
  Flags out;
  for (const auto& [name, values] : flags) {
    if (!values.empty()) out[name] = values.back();
  }
  return out;
}

bool Parse(int argc, char** argv, int first, const std::vector<FlagSpec>& specs, const std::string& command,
           Args* out) {
  CLI::App app("", "careerbot " + command);
  app.set_help_flag();  // --help is one of the specs: the command prints its own
  app.allow_extras();   // unknown flags are collected and refused below, in our words
  std::vector<std::vector<std::string>> values(specs.size());
  std::vector<int64_t> counts(specs.size(), 0);
  for (size_t i = 0; i < specs.size(); i++) {
    std::string names = std::string("--") + specs[i].name;
    if (std::string(specs[i].name) == "help") names += ",-h";
    if (specs[i].takes_value) {
      app.add_option(names, values[i])
          ->expected(1)
          ->allow_extra_args(false)
          ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    } else {
      app.add_flag(names, counts[i]);
    }
  }
  std::vector<std::string> positional;
  app.add_option("arguments", positional);
  // "--" ends the flags: what follows is positional, even "-x".
  int end = first;
  while (end < argc && std::string(argv[end]) != "--") end++;
  // --name=value is split here for the flags that take a value, so that an
  // empty value (--db=) stays a value: CLI11 would take the next word.
  std::vector<std::string> words;
  for (int i = first; i < end; i++) {
    std::string word = argv[i];
    size_t eq = word.find('=');
    bool takes_value = false;
    for (const FlagSpec& spec : specs) {
      if (spec.takes_value && eq != std::string::npos && word.compare(0, eq, std::string("--") + spec.name) == 0) {
        takes_value = true;
      }
    }
    if (takes_value) {
      words.push_back(word.substr(0, eq));
      words.push_back(word.substr(eq + 1));
    } else {
      words.push_back(word);
    }
  }
  std::reverse(words.begin(), words.end());  // CLI11 takes them last first
  try {
    app.parse(words);
  } catch (const CLI::ArgumentMismatch& e) {
    // "--db: 1 required TEXT missing": a flag without its value.
    std::string what = e.what();
    std::string name = what.substr(0, what.find(':'));
    std::fprintf(stderr, "careerbot %s: %s needs a value\n", command.c_str(), name.c_str());
    return false;
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "careerbot %s: %s (see careerbot %s --help)\n", command.c_str(), e.what(), command.c_str());
    return false;
  }
  for (const std::string& extra : app.remaining()) {
    if (extra.size() > 1 && extra[0] == '-' && extra != "-") {
      std::string name = extra.substr(0, extra.find('='));
      std::fprintf(stderr, "careerbot %s: unknown flag %s (see careerbot %s --help)\n", command.c_str(), name.c_str(),
                   command.c_str());
      return false;
    }
    positional.push_back(extra);
  }
  for (int i = end + 1; i < argc; i++) positional.push_back(argv[i]);
  for (size_t i = 0; i < specs.size(); i++) {
    if (specs[i].takes_value && !values[i].empty()) out->flags[specs[i].name] = values[i];
    if (!specs[i].takes_value && counts[i] > 0) {
      out->flags[specs[i].name] = std::vector<std::string>(static_cast<size_t>(counts[i]), "1");
    }
  }
  out->positional = std::move(positional);
  return true;
}

int ParseCommand(int argc, char** argv, int first, const std::vector<FlagSpec>& specs, const std::string& command,
                 const std::string& help, Args* out, bool positional) {
  if (!Parse(argc, argv, first, specs, command, out)) return 2;
  if (out->Has("help")) {
    std::printf("%s", help.c_str());
    PrintFlags(specs);
    return 0;
  }
  if (!positional && !out->positional.empty()) {
    return Fail(command, "unexpected argument '" + out->positional[0] + "'", 2);
  }
  return -1;
}

void PrintFlags(const std::vector<FlagSpec>& specs) {
  for (const auto& s : specs) {
    std::string left = std::string("  --") + s.name + (s.takes_value ? " VALUE" : "");
    std::printf("%-28s %s\n", left.c_str(), s.help);
  }
}

void PrintUsage(const std::string& synopsis, const std::string& text, const std::vector<FlagSpec>& specs) {
  std::printf("usage: careerbot %s\n\n%s\n", synopsis.c_str(), text.c_str());
  if (!specs.empty()) std::printf("\n");
  PrintFlags(specs);
}

bool ConfigFrom(const Args& args, const Environment& env, bool serve, const std::string& command, Config* out) {
  bot::Status s = BuildConfig(args.Given(), env, serve, out);
  if (s.ok()) return true;
  std::fprintf(stderr, "careerbot %s: %s\n", command.c_str(), s.message().c_str());
  return false;
}

bool AnswererOptionsFrom(const AnswerConfig& config, const std::string& command, bot::AnswererOptions* out) {
  bot::AnswererOptions options;
  // The learned ranker: "builtin" (knowledge/ranker.model as compiled in, the
  // default) or a model file; "none" is the hand-set ranking. A model's
  // threshold replaces the hand-set ranking's default.
  const std::string& ranker = config.ranker;
  if (ranker == "builtin") {
    options.model = bot::ranking::BuiltinModel();
    if (!options.model) {
      Fail(command, "this build has no ranker model (knowledge/ranker.model)");
      return false;
    }
  } else if (!ranker.empty() && ranker != "none") {
    std::string text;
    if (!ReadFile(ranker, &text)) {
      Fail(command, "cannot read the ranker model '" + ranker + "'");
      return false;
    }
    auto model = bot::ranking::Model::Parse(text);
    if (!model.ok()) {
      Fail(command, ranker + ": " + model.status().message());
      return false;
    }
    options.model = std::make_shared<const bot::ranking::Model>(std::move(*model));
  }
  if (options.model) options.threshold = options.model->threshold;
  if (config.clarify_floor) options.clarify_floor = *config.clarify_floor;
  if (config.threshold) options.threshold = *config.threshold;
  *out = std::move(options);
  return true;
}

bool AnswerSetup(const Args& args, const Environment& env, const std::string& command, Config* config,
                 bot::AnswererOptions* options) {
  return ConfigFrom(args, env, /*serve=*/false, command, config) &&
         AnswererOptionsFrom(config->answer, command, options);
}

bool ParseNumber(const std::string& s, long* out) {
  char* end = nullptr;
  *out = std::strtol(s.c_str(), &end, 10);
  return !s.empty() && end && *end == '\0';
}

bool ParseNumber(const std::string& s, double* out) {
  char* end = nullptr;
  *out = std::strtod(s.c_str(), &end);
  return !s.empty() && end && *end == '\0';
}

bool ReadFile(const std::string& path, std::string* out) {
  if (path == "-") {
    out->assign((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    return true;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out->assign((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return true;
}

int Fail(const std::string& command, const std::string& message, int status) {
  std::fprintf(stderr, "careerbot %s: %s\n", command.c_str(), message.c_str());
  return status;
}

}  // namespace adapters::cli
