// Small file helpers for tests: a temporary directory removed on scope exit,
// and reading a whole file.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace testing_helpers {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/careerbot-test-XXXXXX";
    char* p = ::mkdtemp(tmpl);
    path_ = p ? p : "";
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline bool ReadWholeFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out->assign((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return true;
}

inline bool WriteWholeFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary);
  out << data;
  return static_cast<bool>(out);
}

// The source article, from ../shared/articles when it is there, else the copy
// in tests/data.
inline std::string SourceArticlePath() {
  const std::string shared = CAREERBOT_SOURCE_DIR "/../shared/articles/the-demand-for-backend-developers.txt";
  std::error_code ec;
  if (std::filesystem::exists(shared, ec)) return shared;
  return CAREERBOT_SOURCE_DIR "/tests/data/the-demand-for-backend-developers.txt";
}

}  // namespace testing_helpers
