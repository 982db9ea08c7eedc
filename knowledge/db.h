// The database layer under the store: the schema, opening a knowledge-base
// file, its connections (one writer behind a mutex, a pool of readers), and
// the RAII wrappers every other file uses to talk to SQLite: Stmt (a
// prepared statement, finalized or reset when it goes out of scope, with
// bind and column helpers) and Transaction (rolled back unless committed).
// It knows nothing of entries, the index or the question log: their SQL
// lives in entry_table.cc, search_index.cc, question_log.cc and gaps.cc.
//
// Thread-safety: Database's methods may be called from any thread; a Conn is
// used by one thread at a time (the writer under write_mu(), a reader while
// its ReaderLease is held).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "bot/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace knowledge {

constexpr int kSchemaVersion = 1;

// kUnavailable with SQLite's reason for the last failure on `db`, in words a
// public client may see (no file name).
bot::Status SqlError(sqlite3* db, const std::string& what);

// Runs `sql` (one or more statements without results).
bot::Status Exec(sqlite3* db, const char* sql, const std::string& what);

// A connection with its prepared statements, reused across calls (preparing
// the search statement costs about as much as running it).
struct Conn {
  sqlite3* db = nullptr;
  std::map<const char*, sqlite3_stmt*> cache;
  Conn() = default;
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;
  ~Conn();
  // A statement prepared once per connection; nullptr when `sql` does not
  // prepare. `sql` must be a string with static storage: its address is the key.
  sqlite3_stmt* Cached(const char* sql);
};

// A prepared statement, finalized on scope exit.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql);
  Stmt(sqlite3* db, const std::string& sql) : Stmt(db, sql.c_str()) {}
  // Borrows a statement prepared earlier (Conn::Cached); resets it and
  // clears its bindings instead of finalizing it.
  Stmt(sqlite3* db, sqlite3_stmt* cached);
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  bool ok() const { return rc_ == 0; }
  sqlite3* db() const { return db_; }
  sqlite3_stmt* get() { return stmt_; }
  void Bind(int i, const std::string& s);
  void Bind(int i, int64_t v);
  void BindDouble(int i, double v);
  void BindNull(int i);
  // Binds `s`, or NULL when there is none.
  void Bind(int i, const std::optional<std::string>& s);
  int Step();
  // Runs a statement that returns no rows and resets it for the next
  // bindings: SqlError(db, what) unless it completed.
  bot::Status Run(const std::string& what);
  void Reset();
  bool IsNull(int col);
  std::string Text(int col);
  int64_t Int(int col);
  double Double(int col);

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  int rc_;
  bool owned_ = true;
};

// A transaction on one connection, rolled back when it goes out of scope
// uncommitted (every early return). Movable, not copyable.
class Transaction {
 public:
  enum class Kind {
    kRead,       // BEGIN: one consistent snapshot for the reads inside
    kImmediate,  // BEGIN IMMEDIATE: takes the write lock now
  };
  static bot::Result<Transaction> Begin(Conn* conn, Kind kind, const std::string& what = "begin");
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  ~Transaction();
  // Commits; when that fails, rolls back and returns SqlError(what).
  bot::Status Commit(const std::string& what = "commit");
  // Rolls back now (what the destructor would do).
  void Rollback();

 private:
  explicit Transaction(Conn* conn) : conn_(conn) {}
  Conn* conn_;  // nullptr once committed or rolled back
};

// One knowledge-base file: opened (and, writable, created with the schema)
// once, then shared by the store's modules.
class Database {
 public:
  // Opens `path`; ":memory:" gives a private temporary file (writable), removed
  // when the Database goes. Fails with kUnavailable when the file cannot be
  // opened, is not a careerbot knowledge base (read-only) or has a newer schema.
  static bot::Result<std::unique_ptr<Database>> Open(const std::string& path, bool writable);
  ~Database();

  const std::string& path() const { return path_; }
  bool writable() const { return writable_; }

  // The writer connection: use it only while holding write_mu().
  std::mutex& write_mu() { return write_mu_; }
  Conn* writer() { return writer_.get(); }
  // kUnavailable unless the file was opened for writing.
  bot::Status CheckWritable() const;

  // A new connection (read-only unless `write` on a writable database).
  bot::Result<std::unique_ptr<Conn>> Connect(bool write);

  // A reader connection from the pool, returned to it when the lease goes.
  class ReaderLease {
   public:
    ReaderLease(Database* db, std::unique_ptr<Conn> conn) : db_(db), conn_(std::move(conn)) {}
    ReaderLease(ReaderLease&&) = default;
    ~ReaderLease();
    Conn* operator->() const { return conn_.get(); }
    Conn* get() const { return conn_.get(); }

   private:
    Database* db_;
    std::unique_ptr<Conn> conn_;
  };
  // kUnavailable when no connection can be opened.
  bot::Result<ReaderLease> Reader();

 private:
  Database(std::string path, bool writable) : path_(std::move(path)), writable_(writable) {}
  bot::Status SetUp(const std::string& shown_path, bool temporary);
  void Release(std::unique_ptr<Conn> conn);

  std::string path_;
  bool writable_;
  bool temporary_ = false;  // a ":memory:" store: its file goes when the Database does
  std::mutex write_mu_;
  std::unique_ptr<Conn> writer_;  // guarded by write_mu_
  std::mutex pool_mu_;
  std::vector<std::unique_ptr<Conn>> readers_;  // idle readers, guarded by pool_mu_
};

// meta: the key -> value table (version, synonyms, origin, ...).
// The values of `keys` that exist.
bot::Result<std::map<std::string, std::string>> ReadMeta(sqlite3* db, const std::vector<std::string>& keys);
bot::Status WriteMeta(sqlite3* db, const std::vector<std::pair<std::string, std::string>>& values);

}  // namespace knowledge
