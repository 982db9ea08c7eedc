#include "knowledge/builtin.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "bot/text.h"
#include "embedded.h"
#include "knowledge/snapshot.h"

namespace careerbot {
extern const EmbeddedFile kKnowledgeFiles[];
}

namespace knowledge {
namespace {

struct RawFile {
  std::string path;  // relative: entries/x.md, synonyms.txt, tests.jsonl
  std::string data;
};

std::string Fingerprint(const std::vector<RawFile>& files) {
  uint64_t h = 14695981039346656037ULL;
  for (const auto& f : files) {
    for (unsigned char c : f.path + '\0' + f.data + '\0') {
      h ^= c;
      h *= 1099511628211ULL;
    }
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

KnowledgeFiles FromRaw(std::vector<RawFile> files) {
  std::sort(files.begin(), files.end(), [](const RawFile& a, const RawFile& b) { return a.path < b.path; });
  KnowledgeFiles out;
  out.fingerprint = Fingerprint(files);
  for (const auto& f : files) {
    if (f.path == "synonyms.txt") {
      out.synonyms = f.data;
    } else if (f.path == "tests.jsonl") {
      out.tests = f.data;
    } else if (f.path.rfind("entries/", 0) == 0 && f.path.size() > 3 &&
               f.path.compare(f.path.size() - 3, 3, ".md") == 0) {
      std::vector<ParseIssue> issues;
      auto entries = ParseMarkdown(f.data, TitleFromFileName(f.path), &issues);
      for (auto& i : issues) out.issues.push_back(f.path + ":" + std::to_string(i.line) + ": " + i.message);
      for (auto& e : entries) out.entries.push_back(std::move(e));
    }
  }
  return out;
}

}  // namespace

KnowledgeFiles BuiltinKnowledge() {
  std::vector<RawFile> files;
  for (const careerbot::EmbeddedFile* f = careerbot::kKnowledgeFiles; f->path; f++) {
    files.push_back({f->path, std::string(reinterpret_cast<const char*>(f->data), f->size)});
  }
  return FromRaw(std::move(files));
}

bot::Result<KnowledgeFiles> LoadKnowledgeDir(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(fs::path(dir) / "entries", ec)) {
    return bot::Status::NotFound("'" + dir + "' has no entries/ folder");
  }
  std::vector<RawFile> files;
  auto read = [&](const fs::path& p, const std::string& rel) {
    std::ifstream in(p, std::ios::binary);
    if (in) files.push_back({rel, std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>())});
  };
  for (const auto& item : fs::directory_iterator(fs::path(dir) / "entries", ec)) {
    if (item.path().extension() == ".md") read(item.path(), "entries/" + item.path().filename().string());
  }
  read(fs::path(dir) / "synonyms.txt", "synonyms.txt");
  read(fs::path(dir) / "tests.jsonl", "tests.jsonl");
  return FromRaw(std::move(files));
}

bot::Status BuildKnowledgeBase(const std::string& path, const KnowledgeFiles& files, const std::string& origin) {
  ASSIGN_OR_RETURN(auto store, Store::Open(path));
  RETURN_IF_ERROR(store->ReplaceAll(files.entries, files.synonyms, origin));
  return store->Compact();
}

bot::Result<std::unique_ptr<Store>> OpenOrBuild(const std::string& path, bool* built) {
  *built = false;
  KnowledgeFiles builtin;
  bool need_build = false;
  struct stat st;
  if (path == ":memory:" || ::stat(path.c_str(), &st) != 0) {
    need_build = true;
  } else if (st.st_size > 0) {
    // Never write into a file that is not a careerbot knowledge base, nor
    // into a published snapshot (knowledge/snapshot.h): that one is read-only.
    ASSIGN_OR_RETURN(auto info, InspectKnowledgeBase(path));
    if (info.published) return Store::Open(path, Store::Mode::kReadOnly);
  }
  if (path != ":memory:") {
    std::error_code ec;
    auto parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  }
  ASSIGN_OR_RETURN(auto store, Store::Open(path));
  if (!need_build) {
    // Rebuild a knowledge base that still holds an older built-in knowledge.
    auto origin = store->GetMeta("origin");
    builtin = BuiltinKnowledge();
    if (!origin.ok() || (origin->rfind("builtin:", 0) == 0 && *origin != "builtin:" + builtin.fingerprint)) {
      need_build = true;
    }
  }
  if (!need_build) {
    // Entries indexed by an older normalizer are re-indexed, keeping their content.
    auto normalizer = store->GetMeta("normalizer");
    if (!normalizer.ok() || *normalizer != std::to_string(bot::Normalizer::kVersion)) {
      auto entries = store->ListEntries();
      auto synonyms = store->GetMeta("synonyms");
      auto origin = store->GetMeta("origin");
      RETURN_IF_ERROR(entries);
      RETURN_IF_ERROR(store->ReplaceAll(*entries, synonyms.ok() ? *synonyms : builtin.synonyms,
                                        origin.ok() ? *origin : "curated"));
      *built = true;
    }
  }
  if (need_build) {
    if (builtin.entries.empty()) builtin = BuiltinKnowledge();
    RETURN_IF_ERROR(store->ReplaceAll(builtin.entries, builtin.synonyms, "builtin:" + builtin.fingerprint));
    *built = true;
  }
  return store;
}

}  // namespace knowledge
