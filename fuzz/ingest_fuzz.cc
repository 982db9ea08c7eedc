// Article ingest: any bytes as an import file (the repo's Markdown entry
// format or any Markdown article, a plain-text article, JSONL, JSON), as
// `careerbot kb import` and POST /v1/admin/import read them. Every entry that
// would be stored (normalized, valid) must survive the export formats: the
// Markdown entry format and JSONL both read back to the same entries.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "fuzz_support.h"
#include "knowledge/curation.h"
#include "knowledge/entry_json.h"
#include "knowledge/markdown.h"
#include "knowledge/markdown_article.h"

namespace {

std::vector<bot::Entry> Storable(const std::vector<knowledge::ImportItem>& items) {
  std::vector<bot::Entry> out;
  std::set<std::string> ids;
  for (const auto& item : items) {
    if (!item.entry) continue;
    bot::Entry e = *item.entry;
    knowledge::NormalizeEntry(&e);
    if (!knowledge::ValidateEntry(e).empty() || !ids.insert(e.id).second) continue;
    out.push_back(std::move(e));
  }
  return out;
}

void CheckSame(const std::vector<bot::Entry>& want, const std::vector<knowledge::ImportItem>& got, const char* what) {
  fuzz::Check(got.size() == want.size(), what);
  for (size_t i = 0; i < want.size(); i++) {
    fuzz::Check(got[i].entry.has_value(), what);
    bot::Entry e = *got[i].entry;
    knowledge::NormalizeEntry(&e);
    if (!knowledge::SameEntry(e, want[i])) {
      std::fprintf(stderr, "entry %zu: id [%s]/[%s] title [%s]/[%s] body [%s]/[%s]\n", i, want[i].id.c_str(),
                   e.id.c_str(), want[i].title.c_str(), e.title.c_str(), want[i].body.c_str(), e.body.c_str());
      fuzz::Check(false, what);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool quiet = (fuzz::QuietLogs(), true);
  (void)quiet;
  if (size == 0 || size > 64 * 1024) return 0;
  static const char* const kNames[] = {"fuzz.md", "fuzz.txt", "fuzz.jsonl", "fuzz.json"};
  const std::string name = kNames[data[0] & 3];
  const std::string text(fuzz::AsView(data + 1, size - 1));

  // The parsers themselves, with their line numbers.
  std::vector<knowledge::ParseIssue> issues;
  std::vector<size_t> lines;
  auto md = knowledge::ParseMarkdown(text, "Fuzz article", &issues, &lines);
  fuzz::Check(lines.size() == md.size(), "one heading line per Markdown entry");
  for (const auto& issue : issues) fuzz::Check(issue.line >= 1, "issues name a 1-based line");
  knowledge::ParsePlainText(text, "Fuzz article");
  issues.clear();
  for (const auto& e : knowledge::ParseMarkdownArticle(text, "Fuzz article", &issues)) {
    fuzz::Check(!e.body.empty() && !e.id.empty(), "an article's sections have text and an id");
  }
  knowledge::IsEntryFormat(text);
  knowledge::TitleFromFileName(text.substr(0, 200));

  std::vector<std::string> warnings;
  auto items = knowledge::ParseImportText(text, name, &warnings);
  if (!items.ok()) {
    // Only a .json file is read whole: invalid JSON refuses it.
    fuzz::Check(name == "fuzz.json" && items.status().code() == bot::Status::Code::kInvalidArgument,
                "every known extension parses (a .json file may be refused)");
    return 0;
  }
  std::vector<bot::Entry> entries = Storable(*items);
  if (entries.empty()) return 0;

  auto from_md = knowledge::ParseImportText(knowledge::ExportMarkdown(entries, "Fuzz export"), "export.md");
  fuzz::Check(from_md.ok(), "the Markdown export parses");
  CheckSame(entries, *from_md, "the Markdown entry format reads back to the same entries");

  auto from_jsonl = knowledge::ParseImportText(knowledge::ExportJsonl(entries), "export.jsonl");
  fuzz::Check(from_jsonl.ok(), "the JSONL export parses");
  CheckSame(entries, *from_jsonl, "JSONL reads back to the same entries");
  return 0;
}
