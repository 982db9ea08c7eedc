// Published snapshots: the knowledge base as one immutable file that is
// shipped to the serving replicas and swapped in by rename. A snapshot is a
// VACUUM INTO copy of the knowledge base (one read transaction: consistent
// even while curators write), without the question log (it holds what users
// asked, and is each replica's own), in rollback-journal mode (no -wal or
// -shm beside it), marked with meta "published_at", fsynced, then renamed
// over its destination, so a reader sees the old file or the new one, never
// part of one.
// Free functions; each opens its own SQLite connections. Thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "bot/status.h"

namespace knowledge {

struct SnapshotInfo {
  std::string version;  // meta "version"
  size_t entries = 0;
  bool published = false;  // made by PublishSnapshot (meta "published_at")
};

// Writes a snapshot of the knowledge base at `db_path` to `out_path`: to a
// temporary file in out_path's directory first, then renamed over out_path.
// `published_at` is recorded (Unix seconds). Fails with kUnavailable (cannot
// read the source, cannot write or rename in the directory; nothing is left
// behind) or kInvalidArgument (the source is not a careerbot knowledge base).
bot::Result<SnapshotInfo> PublishSnapshot(const std::string& db_path, const std::string& out_path,
                                          int64_t published_at);

// Reads what `path` holds without changing it. Fails with kNotFound when
// there is no such file, kInvalidArgument when it is not a careerbot
// knowledge base (not SQLite, or no careerbot schema), kUnavailable when it
// cannot be read.
bot::Result<SnapshotInfo> InspectKnowledgeBase(const std::string& path);

// The identity of a file: which one it is (device, inode) and whether it
// changed (size, modification time).
struct FileId {
  uint64_t dev = 0, ino = 0;
  int64_t size = 0, mtime_ns = 0;
  bool SameFile(const FileId& o) const { return dev == o.dev && ino == o.ino; }
  bool operator==(const FileId& o) const { return SameFile(o) && size == o.size && mtime_ns == o.mtime_ns; }
  bool operator!=(const FileId& o) const { return !(*this == o); }
};
// Fails with kNotFound or kUnavailable.
bot::Result<FileId> StatFile(const std::string& path);

// Copies the file at `path` to a new private file in `dir` (one open: the
// copy is of one file even when `path` is replaced meanwhile), converts the
// copy to rollback-journal mode, and returns the copy's path; *id is the
// identity of the file copied. The caller removes the copy.
bot::Result<std::string> PrivateCopy(const std::string& path, const std::string& dir, FileId* id);

}  // namespace knowledge
