// The schema, opening the file, the connection pool and the RAII wrappers
// over SQLite (see db.h).
#include "knowledge/db.h"

#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <cstring>

namespace knowledge {

using bot::Result;
using bot::Status;

namespace {

const char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entries(
  rowid INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  title TEXT NOT NULL,
  body TEXT NOT NULL,
  questions TEXT NOT NULL,   -- one per line
  tags TEXT NOT NULL,        -- comma-separated
  article TEXT NOT NULL,
  section TEXT NOT NULL,
  url TEXT NOT NULL,
  updated_at TEXT NOT NULL);
-- The index holds normalized terms (bot::Normalizer::IndexText); questions are
-- separated by " | " so each phrasing can be compared on its own.
CREATE VIRTUAL TABLE IF NOT EXISTS entries_fts USING fts5(title, questions, tags, body, tokenize = 'ascii');
CREATE TABLE IF NOT EXISTS question_log(
  id INTEGER PRIMARY KEY,
  answer_id TEXT NOT NULL UNIQUE,
  asked_at INTEGER NOT NULL,
  channel TEXT NOT NULL,
  question TEXT NOT NULL,
  normalized TEXT NOT NULL,
  answered INTEGER NOT NULL,
  kind TEXT NOT NULL,
  confidence REAL NOT NULL,
  entry_id TEXT NOT NULL,
  helpful INTEGER,
  comment TEXT,
  feedback_at INTEGER,
  offered TEXT,       -- kind "clarify": the entry ids offered, space-separated
  resolved_by TEXT);  -- kind "clarify": the answer id of the choice that resolved it
-- The trends (knowledge/stats.h) read ranges of these covering indexes,
-- never the rows: by time (also pruning and the gaps' range), and by entry.
-- They replace question_log_asked_at (a prefix of the first), dropped from
-- files made before them: a logged line updates three indexes (with
-- answer_id's) where it updated two.
-- Added without a new schema version: a careerbot without them opens the
-- file as before (it only adds its own index back).
DROP INDEX IF EXISTS question_log_asked_at;
CREATE INDEX IF NOT EXISTS question_log_stats ON question_log(asked_at, channel, kind, answered, helpful, entry_id);
CREATE INDEX IF NOT EXISTS question_log_entry ON question_log(entry_id, asked_at, confidence, helpful);
-- Every curated change to an entry (knowledge/curation.h): before and after
-- as entry JSON (NULL: the entry did not exist / was deleted).
CREATE TABLE IF NOT EXISTS history(
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  who TEXT NOT NULL,
  action TEXT NOT NULL,
  entry_id TEXT NOT NULL,
  before TEXT,
  after TEXT,
  version TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS history_entry ON history(entry_id, id);
-- Gaps (unanswered wordings) a curator has dealt with; see Store::ResolveGaps.
CREATE TABLE IF NOT EXISTS gap_resolution(
  key TEXT PRIMARY KEY,
  resolved_at INTEGER NOT NULL,
  how TEXT NOT NULL,
  entry_id TEXT NOT NULL,
  who TEXT NOT NULL);
)sql";

// Keys of Conn::Cached: static storage.
const char kBeginRead[] = "BEGIN";
const char kBeginImmediate[] = "BEGIN IMMEDIATE";
const char kCommit[] = "COMMIT";

}  // namespace

Status SqlError(sqlite3* db, const std::string& what) {
  if (!db) return Status::Unavailable(what + ": out of memory");
  // Storage that refuses writes says so plainly (adapters answer 503 with
  // it; no file name, it may reach a public client).
  std::string why;
  switch (sqlite3_extended_errcode(db) & 0xff) {
    case SQLITE_FULL: why = "the disk is full"; break;
    case SQLITE_READONLY: why = "the knowledge base file is read-only"; break;
    case SQLITE_IOERR: why = "the disk refused to read or write (a read-only or failing file system?)"; break;
    case SQLITE_BUSY: why = "another writer holds the knowledge base's lock"; break;
    default: break;
  }
  std::string message = what + ": ";
  if (!why.empty()) message += why + " (";
  message += sqlite3_errmsg(db);
  if (!why.empty()) message += ")";
  return Status::Unavailable(message);
}

Status Exec(sqlite3* db, const char* sql, const std::string& what) {
  if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) return SqlError(db, what);
  return Status::Ok();
}

// ---- Conn ----

Conn::~Conn() {
  for (auto& [sql, stmt] : cache) sqlite3_finalize(stmt);
  sqlite3_close_v2(db);
}

sqlite3_stmt* Conn::Cached(const char* sql) {
  auto it = cache.find(sql);
  if (it != cache.end()) return it->second;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK) return nullptr;
  cache.emplace(sql, stmt);
  return stmt;
}

// ---- Stmt ----

Stmt::Stmt(sqlite3* db, const char* sql) : db_(db) { rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr); }

Stmt::Stmt(sqlite3* db, sqlite3_stmt* cached)
    : db_(db), stmt_(cached), rc_(cached ? SQLITE_OK : SQLITE_ERROR), owned_(false) {}

Stmt::~Stmt() {
  if (owned_) {
    sqlite3_finalize(stmt_);
  } else if (stmt_) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

void Stmt::Bind(int i, const std::string& s) {
  sqlite3_bind_text(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
}
void Stmt::Bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
void Stmt::BindDouble(int i, double v) { sqlite3_bind_double(stmt_, i, v); }
void Stmt::BindNull(int i) { sqlite3_bind_null(stmt_, i); }
void Stmt::Bind(int i, const std::optional<std::string>& s) {
  if (s) {
    Bind(i, *s);
  } else {
    BindNull(i);
  }
}
int Stmt::Step() { return sqlite3_step(stmt_); }
void Stmt::Reset() { sqlite3_reset(stmt_); }

Status Stmt::Run(const std::string& what) {
  int rc = Step();
  Reset();
  return rc == SQLITE_DONE ? Status::Ok() : SqlError(db_, what);
}

bool Stmt::IsNull(int col) { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
std::string Stmt::Text(int col) {
  auto p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, col))) : std::string();
}
int64_t Stmt::Int(int col) { return sqlite3_column_int64(stmt_, col); }
double Stmt::Double(int col) { return sqlite3_column_double(stmt_, col); }

// ---- Transaction ----

Result<Transaction> Transaction::Begin(Conn* conn, Kind kind, const std::string& what) {
  Stmt begin(conn->db, conn->Cached(kind == Kind::kRead ? kBeginRead : kBeginImmediate));
  if (!begin.ok() || begin.Step() != SQLITE_DONE) return SqlError(conn->db, what);
  return Transaction(conn);
}

Transaction::Transaction(Transaction&& other) noexcept : conn_(other.conn_) { other.conn_ = nullptr; }

Transaction::~Transaction() { Rollback(); }

void Transaction::Rollback() {
  if (!conn_) return;
  sqlite3_exec(conn_->db, "ROLLBACK", nullptr, nullptr, nullptr);
  conn_ = nullptr;
}

Status Transaction::Commit(const std::string& what) {
  if (!conn_) return Status::Internal("commit: no transaction");
  Stmt commit(conn_->db, conn_->Cached(kCommit));
  if (!commit.ok() || commit.Step() != SQLITE_DONE) {
    Status s = SqlError(conn_->db, what);
    Rollback();
    return s;
  }
  conn_ = nullptr;
  return Status::Ok();
}

// ---- Database ----

Database::~Database() {
  // Close every connection before removing a temporary store's files.
  writer_.reset();
  readers_.clear();
  if (temporary_) {
    for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path_ + suffix).c_str());
  }
}

Status Database::CheckWritable() const {
  return writable_ ? Status::Ok() : Status::Unavailable("the knowledge base is open read-only");
}

Result<std::unique_ptr<Conn>> Database::Connect(bool write) {
  auto conn = std::make_unique<Conn>();
  int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI;
  flags |= (write && writable_) ? (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) : SQLITE_OPEN_READONLY;
  int rc = sqlite3_open_v2(path_.c_str(), &conn->db, flags, nullptr);
  if (rc != SQLITE_OK) {
    // SQLite says only "unable to open database file": add the system's why.
    int err = conn->db ? sqlite3_system_errno(conn->db) : 0;
    Status s = SqlError(conn->db, "cannot open knowledge base '" + path_ + "'");
    return err ? Status::Unavailable(s.message() + ": " + std::strerror(err)) : s;
  }
  sqlite3_busy_timeout(conn->db, 5000);
  sqlite3_extended_result_codes(conn->db, 1);
  return conn;
}

Result<std::unique_ptr<Database>> Database::Open(const std::string& path, bool writable) {
  std::string real_path = path;
  bool temporary = false;
  if (path == ":memory:") {
    // A private store for tests and benchmarks: a temporary file, removed when
    // the store closes. (An in-memory database shared between connections
    // locks whole tables and fails instead of waiting; a file in WAL mode
    // behaves as a real knowledge base does.)
    std::error_code ec;
    std::string tmp = std::filesystem::temp_directory_path(ec).string();
    std::string pattern = (ec || tmp.empty() ? std::string("/tmp") : tmp) + "/careerbot-XXXXXX";
    std::vector<char> name(pattern.begin(), pattern.end());
    name.push_back('\0');
    int fd = ::mkstemp(name.data());
    if (fd < 0) return Status::Unavailable("cannot create a temporary knowledge base in " + pattern);
    ::close(fd);
    real_path = name.data();
    temporary = true;
    writable = true;
  }
  std::unique_ptr<Database> db(new Database(real_path, writable));
  db->temporary_ = temporary;
  RETURN_IF_ERROR(db->SetUp(path, temporary));
  return db;
}

namespace {

// The question_log columns added after its first release (a clarification's
// options and what resolved it), added in place to a file made before them.
// Without a new schema version: a careerbot without them names its columns
// and opens the file as before. Another process may add them meanwhile.
Status AddQuestionLogColumns(sqlite3* db, const std::string& shown_path) {
  auto columns = [db] {
    std::set<std::string> have;
    Stmt info(db, "PRAGMA table_info(question_log)");
    while (info.ok() && info.Step() == SQLITE_ROW) have.insert(info.Text(1));
    return have;
  };
  std::set<std::string> have = columns();
  for (const char* name : {"offered", "resolved_by"}) {
    if (have.count(name)) continue;
    std::string sql = std::string("ALTER TABLE question_log ADD COLUMN ") + name + " TEXT";
    Status added = Exec(db, sql.c_str(), "cannot add column question_log." + std::string(name) + " to '" +
                                             shown_path + "'");
    if (!added.ok() && !columns().count(name)) return added;
  }
  return Status::Ok();
}

}  // namespace

Status Database::SetUp(const std::string& shown_path, bool temporary) {
  ASSIGN_OR_RETURN(writer_, Connect(true));
  sqlite3* db = writer_->db;
  if (!writable_) {
    Stmt check(db, "SELECT value FROM meta WHERE key = 'schema_version'");
    if (!check.ok() || check.Step() != SQLITE_ROW) {
      return Status::Unavailable("'" + shown_path + "' is not a careerbot knowledge base");
    }
    return Status::Ok();
  }
  char* err = nullptr;
  std::string setup = temporary ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;"
                                : "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;";
  setup += kSchema;
  if (sqlite3_exec(db, setup.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return Status::Unavailable("cannot set up knowledge base '" + shown_path + "': " + msg);
  }
  RETURN_IF_ERROR(AddQuestionLogColumns(db, shown_path));
  Stmt v(db, "PRAGMA user_version");
  int version = v.Step() == SQLITE_ROW ? static_cast<int>(v.Int(0)) : 0;
  if (version > kSchemaVersion) {
    return Status::Unavailable("knowledge base '" + shown_path + "' has schema version " + std::to_string(version) +
                               ", newer than this careerbot (" + std::to_string(kSchemaVersion) + ")");
  }
  if (version < kSchemaVersion) {
    std::string sql = "PRAGMA user_version=" + std::to_string(kSchemaVersion) +
                      "; INSERT OR REPLACE INTO meta(key, value) VALUES('schema_version', '" +
                      std::to_string(kSchemaVersion) + "');";
    RETURN_IF_ERROR(Exec(db, sql.c_str(), "cannot record schema version"));
  }
  return Status::Ok();
}

Database::ReaderLease::~ReaderLease() {
  if (conn_) db_->Release(std::move(conn_));
}

Result<Database::ReaderLease> Database::Reader() {
  {
    std::lock_guard<std::mutex> lock(pool_mu_);
    if (!readers_.empty()) {
      auto conn = std::move(readers_.back());
      readers_.pop_back();
      return ReaderLease(this, std::move(conn));
    }
  }
  auto conn = Connect(false);
  if (!conn.ok()) return Status::Unavailable("cannot open a connection to '" + path_ + "'");
  return ReaderLease(this, std::move(*conn));
}

void Database::Release(std::unique_ptr<Conn> conn) {
  std::lock_guard<std::mutex> lock(pool_mu_);
  if (readers_.size() < 64) readers_.push_back(std::move(conn));
}

// ---- meta ----

Result<std::map<std::string, std::string>> ReadMeta(sqlite3* db, const std::vector<std::string>& keys) {
  std::string sql = "SELECT key, value FROM meta WHERE key IN (";
  for (size_t i = 0; i < keys.size(); i++) sql += i ? ", ?" : "?";
  sql += ")";
  Stmt s(db, sql);
  if (!s.ok()) return SqlError(db, "read metadata");
  for (size_t i = 0; i < keys.size(); i++) s.Bind(static_cast<int>(i + 1), keys[i]);
  std::map<std::string, std::string> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) out[s.Text(0)] = s.Text(1);
  if (rc != SQLITE_DONE) return SqlError(db, "read metadata");
  return out;
}

Status WriteMeta(sqlite3* db, const std::vector<std::pair<std::string, std::string>>& values) {
  Stmt meta(db, "INSERT OR REPLACE INTO meta(key, value) VALUES(?1, ?2)");
  if (!meta.ok()) return SqlError(db, "write metadata");
  for (const auto& [key, value] : values) {
    meta.Bind(1, key);
    meta.Bind(2, value);
    RETURN_IF_ERROR(meta.Run("write metadata"));
  }
  return Status::Ok();
}

}  // namespace knowledge
