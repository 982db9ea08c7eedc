// The knowledge base a server answers from, swappable while it serves. A
// StoreHandle holds the Store open now (a std::shared_ptr); Reload() opens
// the file at its path anew and swaps it in atomically. Requests that started
// on the old Store finish on it (it closes when the last one lets go), later
// ones start on the new one: none fails or is answered half from each.
//
// A replaced file (a published snapshot shipped by rename, see
// knowledge/snapshot.h) is served from a private copy opened read-only and
// immutable: a name no one else replaces, and no stale -wal file of the old
// one can be mixed into it. The file served at start-up is opened as before
// (OpenOrBuild: read-write, the writer's own file), unless it is a published
// snapshot, which is served like a replacement.
//
// It is a bot::KnowledgeSource over the current Store: a version it hands
// out keeps its Store open, so a request that took one (one request, one
// knowledge-base version: bot::KnowledgeView) finishes on it after a reload.
// Other work that must see one Store throughout holds Current()'s shared_ptr.
// Thread-safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "bot/retriever.h"
#include "bot/status.h"
#include "knowledge/snapshot.h"
#include "knowledge/store.h"

namespace knowledge {

class StoreHandle : public bot::KnowledgeSource {
 public:
  // Serves `store` as it is. With a `path`, Reload() re-reads that file;
  // without one, Reload() fails with kUnavailable.
  explicit StoreHandle(std::shared_ptr<Store> store, std::string path = "");
  ~StoreHandle() override;
  StoreHandle(const StoreHandle&) = delete;
  StoreHandle& operator=(const StoreHandle&) = delete;

  // Opens the knowledge base at `path` for serving. A file that exists must
  // be a careerbot knowledge base (else kInvalidArgument, changing nothing);
  // a published snapshot is served from a private copy in `copy_dir`
  // (default std::filesystem::temp_directory_path(): $TMPDIR, else /tmp); anything else goes through OpenOrBuild (which
  // builds a missing file and sets *built).
  static bot::Result<std::unique_ptr<StoreHandle>> Open(const std::string& path, bool* built,
                                                        const std::string& copy_dir = "");

  // The Store served now. Hold the shared_ptr for as long as the work on it
  // must see one Store: a reload swaps in another meanwhile, and this one
  // closes when the last holder lets go.
  std::shared_ptr<Store> Current() const;
  const std::string& path() const { return path_; }
  // True while the Store served is read-only (a snapshot, or a replacement).
  bool read_only() const { return read_only_.load(); }

  // Re-reads the file at path() when it is another file than the one served
  // (another inode; for a snapshot also another size or mtime), or always
  // with `force`. The new Store is opened and its index loaded before the
  // swap. Returns true when it swapped, false when nothing changed. On
  // failure (the file is missing, not a careerbot knowledge base, cannot be
  // copied) the current Store stays and a file that failed is not retried
  // until it changes again (unless forced).
  bot::Result<bool> Reload(bool force = false);

  // Polls path() every `interval` on a thread of its own and reloads when
  // the file was replaced; StopWatching() (or the destructor) ends it.
  void StartWatching(std::chrono::milliseconds interval);
  void StopWatching();

  // Called on the watching thread after each reload it made (*result true)
  // or tried and failed (an error): for logging.
  void set_listener(std::function<void(const bot::Result<bool>& result, const StoreHandle& handle)> listener);

  uint64_t reloads() const { return reloads_.load(); }
  uint64_t reload_failures() const { return reload_failures_.load(); }

  // bot::KnowledgeSource: Current()'s current version, holding that Store
  // open for as long as the version is used.
  bot::Result<std::shared_ptr<const bot::KnowledgeVersion>> CurrentVersion() override;
  // Current()'s current lexicon (for tools and tests).
  bot::Result<std::shared_ptr<const bot::Lexicon>> GetLexicon() const;

 private:
  // Opens a private immutable copy of the file at `path`.
  static bot::Result<std::shared_ptr<Store>> OpenCopy(const std::string& path, const std::string& copy_dir, FileId* id);
  void Watch(std::chrono::milliseconds interval);

  std::string path_;
  std::string copy_dir_;
  mutable std::mutex mu_;
  std::shared_ptr<Store> current_;  // guarded by mu_
  FileId served_;                   // guarded by reload_mu_
  bool have_served_ = false;        // guarded by reload_mu_
  FileId failed_;                   // guarded by reload_mu_: the last file that could not be loaded
  bool have_failed_ = false;        // guarded by reload_mu_
  std::atomic<bool> read_only_{false};
  std::mutex reload_mu_;  // one reload at a time
  std::atomic<uint64_t> reloads_{0};
  std::atomic<uint64_t> reload_failures_{0};

  std::mutex watch_mu_;
  std::condition_variable watch_cv_;
  bool stop_watching_ = false;                                                  // guarded by watch_mu_
  std::function<void(const bot::Result<bool>&, const StoreHandle&)> listener_;  // guarded by watch_mu_
  std::thread watcher_;
};

}  // namespace knowledge
