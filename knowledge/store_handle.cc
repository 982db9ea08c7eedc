#include "knowledge/store_handle.h"

#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>

#include "bot/text.h"
#include "knowledge/builtin.h"

namespace knowledge {
namespace {

using bot::Result;
using bot::Status;

// An SQLite URI opening `path` read-only with no locking and no change
// detection: right for a private copy nobody writes.
std::string ImmutableUri(const std::string& path) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string uri = "file:";
  for (unsigned char c : path) {
    if (std::isalnum(c) || c == '/' || c == '.' || c == '_' || c == '-') {
      uri += static_cast<char>(c);
    } else {
      uri += '%';
      uri += kHex[c >> 4];
      uri += kHex[c & 15];
    }
  }
  return uri + "?immutable=1";
}

// `s` with `prefix` before its message, same code.
Status Prefixed(const Status& s, const std::string& prefix) {
  switch (s.code()) {
    case Status::Code::kInvalidArgument:
      return Status::InvalidArgument(prefix + s.message());
    case Status::Code::kNotFound:
      return Status::NotFound(prefix + s.message());
    case Status::Code::kAlreadyExists:
      return Status::AlreadyExists(prefix + s.message());
    case Status::Code::kInternal:
      return Status::Internal(prefix + s.message());
    default:
      return Status::Unavailable(prefix + s.message());
  }
}

// The standard library's temporary folder ($TMPDIR, else /tmp); `careerbot
// serve` passes the configured one (app/config.h) instead.
std::string DefaultCopyDir() {
  std::error_code ec;
  std::string dir = std::filesystem::temp_directory_path(ec).string();
  return ec || dir.empty() ? "/tmp" : dir;
}

}  // namespace

StoreHandle::StoreHandle(std::shared_ptr<Store> store, std::string path)
    : path_(std::move(path)), current_(std::move(store)) {
  if (!path_.empty()) {
    auto id = StatFile(path_);
    if (id.ok()) {
      served_ = *id;
      have_served_ = true;
    }
  }
}

StoreHandle::~StoreHandle() { StopWatching(); }

Result<std::unique_ptr<StoreHandle>> StoreHandle::Open(const std::string& path, bool* built,
                                                       const std::string& copy_dir) {
  *built = false;
  if (path != ":memory:") {
    auto info = InspectKnowledgeBase(path);
    if (info.ok() && info->published) {
      FileId id;
      ASSIGN_OR_RETURN(auto store, OpenCopy(path, copy_dir, &id));
      auto handle = std::make_unique<StoreHandle>(std::move(store), path);
      handle->copy_dir_ = copy_dir;
      handle->served_ = id;
      handle->have_served_ = true;
      handle->read_only_ = true;
      return handle;
    }
    // A missing (or empty) file is built; anything else must be ours.
    if (!info.ok() && info.status().code() != Status::Code::kNotFound) {
      auto id = StatFile(path);
      if (!(id.ok() && id->size == 0 && info.status().code() == Status::Code::kInvalidArgument)) {
        return info.status();
      }
    }
  }
  ASSIGN_OR_RETURN(auto store, OpenOrBuild(path, built));
  auto handle = std::make_unique<StoreHandle>(std::shared_ptr<Store>(std::move(store)), path == ":memory:" ? "" : path);
  handle->copy_dir_ = copy_dir;
  return handle;
}

Result<std::shared_ptr<Store>> StoreHandle::OpenCopy(const std::string& path, const std::string& copy_dir, FileId* id) {
  ASSIGN_OR_RETURN(const std::string file, PrivateCopy(path, copy_dir.empty() ? DefaultCopyDir() : copy_dir, id));
  auto remove = [file] {
    for (const char* suffix : {"", "-journal"}) ::unlink((file + suffix).c_str());
  };
  auto store = Store::Open(ImmutableUri(file), Store::Mode::kReadOnly);
  if (!store.ok()) {
    remove();
    return Prefixed(store.status(), "'" + path + "': ");
  }
  // An index made by another normalizer would not meet this one's terms.
  auto normalizer = (*store)->GetMeta("normalizer");
  if (!normalizer.ok() || *normalizer != std::to_string(bot::Normalizer::kVersion)) {
    store->reset();
    remove();
    return Status::InvalidArgument("'" + path + "' was indexed by another careerbot version (normalizer " +
                                   (normalizer.ok() ? *normalizer : "?") + ", this one " +
                                   std::to_string(bot::Normalizer::kVersion) + "): publish it again with this one");
  }
  // Load the index now, before any request needs it.
  auto lexicon = (*store)->GetLexicon();
  if (!lexicon.ok()) {
    store->reset();
    remove();
    return Prefixed(lexicon.status(), "'" + path + "': ");
  }
  Store* raw = store->release();
  return std::shared_ptr<Store>(raw, [remove](Store* s) {
    delete s;
    remove();
  });
}

std::shared_ptr<Store> StoreHandle::Current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

Result<bool> StoreHandle::Reload(bool force) {
  if (path_.empty()) return Status::Unavailable("this knowledge base has no file to reload");
  std::lock_guard<std::mutex> lock(reload_mu_);
  auto id = StatFile(path_);
  if (!id.ok()) {
    // Between two files (or deleted): keep serving; a forced reload says so.
    if (!force) return false;
    reload_failures_++;
    return id.status();
  }
  if (!force) {
    bool changed = !have_served_ || (read_only_ ? *id != served_ : !id->SameFile(served_));
    if (!changed) return false;
    if (have_failed_ && *id == failed_) return false;
  }
  FileId copied;
  auto store = OpenCopy(path_, copy_dir_, &copied);
  if (!store.ok()) {
    failed_ = *id;
    have_failed_ = true;
    reload_failures_++;
    return store.status();
  }
  {
    std::lock_guard<std::mutex> swap_lock(mu_);
    current_.swap(*store);
  }
  // *store now holds the old Store: it closes here, or when the last request
  // answering from one of its versions (or other holder) lets go.
  store->reset();
  served_ = copied;
  have_served_ = true;
  have_failed_ = false;
  read_only_ = true;
  reloads_++;
  return true;
}

void StoreHandle::StartWatching(std::chrono::milliseconds interval) {
  if (path_.empty() || interval.count() <= 0) return;
  StopWatching();
  {
    std::lock_guard<std::mutex> lock(watch_mu_);
    stop_watching_ = false;
  }
  watcher_ = std::thread([this, interval] { Watch(interval); });
}

void StoreHandle::StopWatching() {
  {
    std::lock_guard<std::mutex> lock(watch_mu_);
    stop_watching_ = true;
  }
  watch_cv_.notify_all();
  if (watcher_.joinable()) watcher_.join();
}

void StoreHandle::set_listener(std::function<void(const Result<bool>&, const StoreHandle&)> listener) {
  std::lock_guard<std::mutex> lock(watch_mu_);
  listener_ = std::move(listener);
}

void StoreHandle::Watch(std::chrono::milliseconds interval) {
  while (true) {
    std::function<void(const Result<bool>&, const StoreHandle&)> listener;
    {
      std::unique_lock<std::mutex> lock(watch_mu_);
      if (watch_cv_.wait_for(lock, interval, [this] { return stop_watching_; })) return;
      listener = listener_;
    }
    auto result = Reload(false);
    if (listener && (!result.ok() || *result)) listener(result, *this);
  }
}

Result<std::shared_ptr<const bot::KnowledgeVersion>> StoreHandle::CurrentVersion() {
  std::shared_ptr<Store> store = Current();
  ASSIGN_OR_RETURN(std::shared_ptr<const bot::KnowledgeVersion> version, store->CurrentVersion());
  // The version searches through its Store: the pointer handed out owns
  // both (shared_ptr's aliasing constructor), so the Store stays open while
  // the version is used, whatever Reload swaps in meanwhile.
  struct Held {
    std::shared_ptr<Store> store;
    std::shared_ptr<const bot::KnowledgeVersion> version;
  };
  auto held = std::make_shared<const Held>(Held{std::move(store), std::move(version)});
  const bot::KnowledgeVersion* raw = held->version.get();
  return std::shared_ptr<const bot::KnowledgeVersion>(std::move(held), raw);
}

Result<std::shared_ptr<const bot::Lexicon>> StoreHandle::GetLexicon() const { return Current()->GetLexicon(); }

}  // namespace knowledge
