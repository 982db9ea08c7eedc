// `careerbot kb stats [--days N] [--channel X] [--open-gaps] [--json | --csv TABLE]
// [--db PATH] [--log-db PATH]`: how the bot is doing, from the question log
// (app/trends.h: what GET /v1/admin/stats shows). A table for people by
// default; --json prints exactly the API's JSON, --csv one of its CSV tables.
#pragma once

#include "app/config.h"

namespace adapters::cli {

// argv[2] is "stats"; without --db the knowledge base is DefaultDbPath(env),
// and $CAREERBOT_LOG_RETENTION_DAYS (default 90) is the log's retention.
// Returns the exit status (0 ok, 1 failure, 2 usage error).
int KbStats(int argc, char** argv, const Environment& env);

}  // namespace adapters::cli
