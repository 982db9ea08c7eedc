// Secrets (the chat platforms' signing secret, public key and bot tokens,
// the Mattermost and admin tokens) come only from the environment, NAME=value,
// or from a file named by NAME_FILE=path that only its owner may read or
// write (mode 0600 or 0400: systemd credentials, Docker or Kubernetes
// secrets mounted with that mode). Never from a flag (ps and shell history
// would show it), and never logged or echoed: every message here names the
// variable and the file, never what they hold. Pure functions of the
// environment given and the file system; thread-safe. BuildConfig
// (app/config.h) reads every secret careerbot uses.
#pragma once

#include <string>

#include "app/config.h"
#include "bot/status.h"

namespace adapters {

// Reads secret `name` into *out from `env` (app/config.h): $NAME when set and not empty, else the
// contents of the file $NAME_FILE (surrounding white space, such as a final
// newline, trimmed), else "" (not configured). Fails with kInvalidArgument,
// *out left empty, when both are set, or when the file cannot be opened, is
// not a regular file, is larger than 64 KiB, or grants any permission to
// its group or to others.
bot::Status ReadSecret(const Environment& env, const std::string& name, std::string* out);

// The secrets careerbot reads: each chat platform's (the `secret` variables
// of its PlatformSpec, adapters/chat/registry.h) and CAREERBOT_ADMIN_TOKEN.

}  // namespace adapters
