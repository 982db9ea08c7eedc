#include "knowledge/snapshot.h"

#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <vector>

#include <sqlite3.h>

namespace knowledge {
namespace {

using bot::Result;
using bot::Status;

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Db = std::unique_ptr<sqlite3, DbCloser>;

Status OpenDb(const std::string& path, int flags, Db* out) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  out->reset(db);
  if (rc != SQLITE_OK) {
    return Status::Unavailable("cannot open '" + path + "': " + (db ? sqlite3_errmsg(db) : "out of memory"));
  }
  sqlite3_busy_timeout(db, 5000);
  return Status::Ok();
}

Status Exec(sqlite3* db, const std::string& sql, const std::string& what) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errmsg(db);
    sqlite3_free(err);
    return Status::Unavailable(what + ": " + msg);
  }
  return Status::Ok();
}

// Reads the careerbot metadata of an open database.
Result<SnapshotInfo> ReadInfo(sqlite3* db, const std::string& path) {
  const std::string not_ours = "'" + path + "' is not a careerbot knowledge base";
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(
      db, "SELECT key, value FROM meta WHERE key IN ('schema_version', 'version', 'published_at')", -1, &raw, nullptr);
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> stmt(raw, sqlite3_finalize);
  if (rc != SQLITE_OK) {
    int primary = rc & 0xff;
    if (primary == SQLITE_NOTADB || primary == SQLITE_ERROR || primary == SQLITE_CORRUPT) {
      return Status::InvalidArgument(not_ours + " (" + sqlite3_errmsg(db) + ")");
    }
    return Status::Unavailable("cannot read '" + path + "': " + sqlite3_errmsg(db));
  }
  SnapshotInfo info;
  bool has_schema = false;
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
    std::string key = reinterpret_cast<const char*>(sqlite3_column_text(stmt.get(), 0));
    const unsigned char* v = sqlite3_column_text(stmt.get(), 1);
    std::string value = v ? reinterpret_cast<const char*>(v) : "";
    if (key == "schema_version") has_schema = true;
    if (key == "version") info.version = value;
    if (key == "published_at") info.published = true;
  }
  if (rc != SQLITE_DONE) return Status::Unavailable("cannot read '" + path + "': " + sqlite3_errmsg(db));
  if (!has_schema) return Status::InvalidArgument(not_ours + " (no careerbot metadata)");
  sqlite3_stmt* count_raw = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT count(*) FROM entries", -1, &count_raw, nullptr) != SQLITE_OK) {
    sqlite3_finalize(count_raw);
    return Status::InvalidArgument(not_ours + " (no entries table)");
  }
  if (sqlite3_step(count_raw) == SQLITE_ROW) info.entries = static_cast<size_t>(sqlite3_column_int64(count_raw, 0));
  sqlite3_finalize(count_raw);
  return info;
}

Status FsyncPath(const std::string& path, bool directory) {
  int fd = ::open(path.c_str(), (directory ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::Unavailable("cannot open '" + path + "' to sync it: " + std::strerror(errno));
  int rc = ::fsync(fd);
  int saved = errno;
  ::close(fd);
  if (rc != 0) return Status::Unavailable("cannot sync '" + path + "': " + std::strerror(saved));
  return Status::Ok();
}

std::atomic<unsigned> g_counter{0};

void RemoveWithJournal(const std::string& path) {
  for (const char* suffix : {"", "-journal", "-wal", "-shm"}) ::unlink((path + suffix).c_str());
}

}  // namespace

Result<SnapshotInfo> InspectKnowledgeBase(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::NotFound("'" + path + "' does not exist");
    return Status::Unavailable("cannot read '" + path + "': " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) return Status::InvalidArgument("'" + path + "' is not a file");
  if (::access(path.c_str(), R_OK) != 0) {
    return Status::Unavailable("cannot read '" + path + "': " + std::strerror(errno));
  }
  Db db;
  RETURN_IF_ERROR(OpenDb(path, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, &db));
  return ReadInfo(db.get(), path);
}

Result<SnapshotInfo> PublishSnapshot(const std::string& db_path, const std::string& out_path, int64_t published_at) {
  RETURN_IF_ERROR(InspectKnowledgeBase(db_path));
  namespace fs = std::filesystem;
  fs::path out(out_path);
  fs::path dir = out.has_parent_path() ? out.parent_path() : fs::path(".");
  std::string tmp = (dir / ("." + out.filename().string() + ".tmp-" + std::to_string(::getpid()) + "-" +
                            std::to_string(g_counter.fetch_add(1))))
                        .string();
  RemoveWithJournal(tmp);
  auto fail = [&](const Status& s) {
    RemoveWithJournal(tmp);
    return s;
  };
  {
    Db source;
    Status s = OpenDb(db_path, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, &source);
    if (!s.ok()) return fail(s);
    // VACUUM INTO reads one consistent version of the source (one read
    // transaction), however much the curators write meanwhile.
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(source.get(), "VACUUM INTO ?1", -1, &raw, nullptr) != SQLITE_OK) {
      return fail(Status::Unavailable(std::string("cannot copy the knowledge base: ") + sqlite3_errmsg(source.get())));
    }
    sqlite3_bind_text(raw, 1, tmp.c_str(), -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(raw);
    sqlite3_finalize(raw);
    if (rc != SQLITE_DONE) {
      return fail(Status::Unavailable("cannot write '" + tmp + "': " + sqlite3_errmsg(source.get())));
    }
  }
  SnapshotInfo info;
  {
    Db copy;
    Status s = OpenDb(tmp, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, &copy);
    // Rollback-journal mode: the snapshot is read as one file, with no
    // -wal or -shm beside it that could outlive or mismatch it.
    if (s.ok()) s = Exec(copy.get(), "PRAGMA journal_mode=DELETE; PRAGMA synchronous=FULL;", "set journal mode");
    if (s.ok()) {
      // The question log stays with the writer: it is what users asked, and
      // each replica keeps its own (serve --log-db). A snapshot never
      // becomes "built-in knowledge" that OpenOrBuild would rebuild.
      s = Exec(copy.get(),
               "BEGIN; DELETE FROM question_log;"
               " UPDATE meta SET value = 'snapshot:' || value WHERE key = 'origin' AND value NOT LIKE 'snapshot:%';"
               " INSERT OR REPLACE INTO meta(key, value) VALUES('published_at', '" +
                   std::to_string(published_at) + "'); COMMIT;",
               "mark the snapshot");
    }
    if (s.ok()) s = Exec(copy.get(), "VACUUM", "compact the snapshot");
    if (!s.ok()) return fail(s);
    auto read = ReadInfo(copy.get(), tmp);
    if (!read.ok()) return fail(read.status());
    info = *read;
  }
  Status s = FsyncPath(tmp, false);
  if (!s.ok()) return fail(s);
  if (::rename(tmp.c_str(), out_path.c_str()) != 0) {
    return fail(Status::Unavailable("cannot rename '" + tmp + "' to '" + out_path + "': " + std::strerror(errno)));
  }
  // The rename itself is durable once the directory is synced.
  RETURN_IF_ERROR(FsyncPath(dir.string(), true));
  return info;
}

Result<FileId> StatFile(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::NotFound("'" + path + "' does not exist");
    return Status::Unavailable("cannot stat '" + path + "': " + std::strerror(errno));
  }
  FileId id;
  id.dev = static_cast<uint64_t>(st.st_dev);
  id.ino = static_cast<uint64_t>(st.st_ino);
  id.size = static_cast<int64_t>(st.st_size);
  id.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  return id;
}

Result<std::string> PrivateCopy(const std::string& path, const std::string& dir, FileId* id) {
  int in = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) {
    if (errno == ENOENT) return Status::NotFound("'" + path + "' does not exist");
    return Status::Unavailable("cannot read '" + path + "': " + std::strerror(errno));
  }
  struct stat st;
  if (::fstat(in, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(in);
    return Status::InvalidArgument("'" + path + "' is not a file");
  }
  id->dev = static_cast<uint64_t>(st.st_dev);
  id->ino = static_cast<uint64_t>(st.st_ino);
  id->size = static_cast<int64_t>(st.st_size);
  id->mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  std::string pattern = dir + "/careerbot-kb-XXXXXX";
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  int out = ::mkstemp(name.data());
  if (out < 0) {
    ::close(in);
    return Status::Unavailable("cannot create a file in '" + dir + "': " + std::strerror(errno));
  }
  std::string copy = name.data();
  off_t offset = 0;
  bool ok = true;
  while (offset < st.st_size) {
    ssize_t n = ::sendfile(out, in, &offset, static_cast<size_t>(st.st_size - offset));
    if (n <= 0) {
      ok = false;
      break;
    }
  }
  int saved = errno;
  ::close(in);
  ::close(out);
  if (!ok) {
    ::unlink(copy.c_str());
    return Status::Unavailable("cannot copy '" + path + "': " + std::strerror(saved));
  }
  auto info = InspectKnowledgeBase(copy);
  if (!info.ok()) {
    RemoveWithJournal(copy);
    if (info.status().code() == Status::Code::kInvalidArgument) {
      return Status::InvalidArgument("'" + path + "' is not a careerbot knowledge base");
    }
    return info.status();
  }
  // A file built in WAL mode is read as one file too (its -wal, if any, is
  // not copied: ship files that were closed, or published snapshots).
  Db db;
  Status s = OpenDb(copy, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, &db);
  if (s.ok()) s = Exec(db.get(), "PRAGMA journal_mode=DELETE", "prepare the copy of '" + path + "'");
  db.reset();
  if (!s.ok()) {
    RemoveWithJournal(copy);
    return s;
  }
  return copy;
}

}  // namespace knowledge
