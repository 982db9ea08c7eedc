// `careerbot kb lint`: checks a knowledge base the way a careful curator
// would, so that it can guard a CI. Errors are things that make the bot
// answer wrongly or cite nothing; warnings are worth a look.
// Thread-safe when the store and answerer are.
#pragma once

#include <string>
#include <vector>

#include "bot/answerer.h"
#include "bot/status.h"
#include "knowledge/store.h"

namespace knowledge {

struct LintFinding {
  enum class Severity { kError, kWarning };
  Severity severity = Severity::kWarning;
  // invalid             the entry fails validation (error)
  // source              no source article or a url that is not http(s)
  //                     (error), no section (warning)
  // duplicate-question  two entries hold the same phrasing (error)
  // confusion           an entry's own alternate question is answered by
  //                     another entry (error), or by both together (warning)
  // declined-question   an entry's own alternate question is declined (warning)
  // no-questions        no alternate questions (warning)
  // near-duplicate      two entries say nearly the same (warning)
  // long-answer         longer than a chat message should be (warning)
  // synonyms            a synonym group none of whose words occur in any
  //                     entry, or a malformed line (warning)
  std::string check;
  std::string entry_id;  // empty for the synonym list
  std::string message;
};

struct LintOptions {
  size_t max_answer_chars = 600;  // characters of a body
  double near_duplicate = 0.8;    // share of answer terms two entries hold in common (Jaccard)
};

struct LintReport {
  std::vector<LintFinding> findings;  // errors first, then by entry
  size_t errors = 0;
  size_t warnings = 0;
  size_t entries = 0;
  size_t questions_asked = 0;
};

// Lints every entry of `store`. Asks each alternate question through
// `answerer` (over the same store, with the decline threshold in use; its
// answers must not be logged). Fails with kUnavailable when the store cannot
// be read.
bot::Result<LintReport> Lint(Store* store, bot::Answerer* answerer, const LintOptions& options = {});

}  // namespace knowledge
