#include "knowledge/store.h"

#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <string_view>
#include <cmath>
#include <unordered_map>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>

#include "bot/text.h"
#include "knowledge/entry_json.h"

namespace knowledge {

using bot::Entry;
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
  feedback_at INTEGER);
CREATE INDEX IF NOT EXISTS question_log_asked_at ON question_log(asked_at);
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

const char kQuestionSeparator[] = " | ";

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

// A prepared statement, finalized on scope exit.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db) { rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr); }
  // Borrows a statement prepared earlier (see Store::Conn::Cached); resets it
  // instead of finalizing it.
  Stmt(sqlite3* db, sqlite3_stmt* cached) : db_(db), stmt_(cached), rc_(cached ? SQLITE_OK : SQLITE_ERROR), owned_(false) {}
  ~Stmt() {
    if (owned_) {
      sqlite3_finalize(stmt_);
    } else if (stmt_) {
      sqlite3_reset(stmt_);
      sqlite3_clear_bindings(stmt_);
    }
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  bool ok() const { return rc_ == SQLITE_OK; }
  sqlite3_stmt* get() { return stmt_; }
  void Bind(int i, const std::string& s) { sqlite3_bind_text(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT); }
  void Bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void BindDouble(int i, double v) { sqlite3_bind_double(stmt_, i, v); }
  int Step() { return sqlite3_step(stmt_); }
  std::string Text(int col) {
    auto p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, col))) : std::string();
  }
  int64_t Int(int col) { return sqlite3_column_int64(stmt_, col); }
  double Double(int col) { return sqlite3_column_double(stmt_, col); }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  int rc_;
  bool owned_ = true;
};

std::vector<std::string> SplitOn(const std::string& s, const std::string& sep) {
  std::vector<std::string> out;
  if (s.empty()) return out;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    if (pos == std::string::npos) {
      out.push_back(s.substr(start));
      break;
    }
    out.push_back(s.substr(start, pos - start));
    start = pos + sep.size();
  }
  return out;
}

std::string JoinWith(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); i++) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

// One line of text: questions are stored one per line, so none may hold one.
std::string OneLine(const std::string& s) {
  std::string out = s;
  std::replace(out.begin(), out.end(), '\n', ' ');
  std::replace(out.begin(), out.end(), '\r', ' ');
  return std::string(bot::Trim(out));
}

// FNV-1a, 64 bits: a content fingerprint for the version, not security.
uint64_t Fnv1a(const std::string& data, uint64_t h = 14695981039346656037ULL) {
  for (unsigned char c : data) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

std::string Hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

Entry ReadEntry(Stmt& s, int first_col) {
  Entry e;
  e.id = s.Text(first_col);
  e.title = s.Text(first_col + 1);
  e.body = s.Text(first_col + 2);
  e.questions = SplitOn(s.Text(first_col + 3), "\n");
  e.tags = SplitOn(s.Text(first_col + 4), ",");
  e.source.article = s.Text(first_col + 5);
  e.source.section = s.Text(first_col + 6);
  e.source.url = s.Text(first_col + 7);
  e.updated_at = s.Text(first_col + 8);
  return e;
}

const char kEntryColumns[] = "id, title, body, questions, tags, article, section, url, updated_at";
const char kEntryColumnsE[] =
    "e.id, e.title, e.body, e.questions, e.tags, e.article, e.section, e.url, e.updated_at";

}  // namespace

std::string Fts5OrQuery(const std::vector<std::string>& terms) {
  std::string q;
  for (const auto& t : terms) {
    if (t.empty()) continue;
    if (!q.empty()) q += " OR ";
    q += '"';
    for (char c : t) {
      if (c == '"') q += '"';
      q += c;
    }
    q += '"';
  }
  return q;
}

// A connection with its prepared statements, reused across calls (preparing
// the search statement costs about as much as running it).
struct Store::Conn {
  sqlite3* db = nullptr;
  std::map<const char*, sqlite3_stmt*> cache;
  ~Conn() {
    for (auto& [sql, stmt] : cache) sqlite3_finalize(stmt);
    sqlite3_close_v2(db);
  }
  // `sql` must be a string with static storage: its address is the key.
  sqlite3_stmt* Cached(const char* sql) {
    auto it = cache.find(sql);
    if (it != cache.end()) return it->second;
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK) return nullptr;
    cache.emplace(sql, stmt);
    return stmt;
  }
};

Store::Store(std::string path, Mode mode) : path_(std::move(path)), mode_(mode) {}
Store::~Store() {
  // Write what the question log still has queued, through writer_.
  log_queue_.reset();
  // Close every connection before removing a temporary store's files.
  writer_.reset();
  watcher_.reset();
  readers_.clear();
  if (temporary_) {
    for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path_ + suffix).c_str());
  }
}

Result<std::unique_ptr<Store::Conn>> Store::Connect(bool write) {
  auto conn = std::make_unique<Conn>();
  int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI;
  flags |= (write && mode_ == Mode::kReadWrite) ? (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) : SQLITE_OPEN_READONLY;
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

Result<std::unique_ptr<Store>> Store::Open(const std::string& path, Mode mode) {
  std::string real_path = path;
  bool temporary = false;
  if (path == ":memory:") {
    // A private store for tests and benchmarks: a temporary file, removed when
    // the store closes. (An in-memory database shared between connections
    // locks whole tables and fails instead of waiting; a file in WAL mode
    // behaves as a real knowledge base does.)
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/careerbot-XXXXXX";
    std::vector<char> name(pattern.begin(), pattern.end());
    name.push_back('\0');
    int fd = ::mkstemp(name.data());
    if (fd < 0) return Status::Unavailable("cannot create a temporary knowledge base in " + pattern);
    ::close(fd);
    real_path = name.data();
    temporary = true;
    mode = Mode::kReadWrite;
  }
  std::unique_ptr<Store> store(new Store(real_path, mode));
  store->temporary_ = temporary;
  auto writer = store->Connect(true);
  if (!writer.ok()) return writer.status();
  sqlite3* db = (*writer)->db;
  if (mode == Mode::kReadWrite) {
    char* err = nullptr;
    std::string setup = temporary ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;"
                                  : "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;";
    setup += kSchema;
    if (sqlite3_exec(db, setup.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "unknown error";
      sqlite3_free(err);
      return Status::Unavailable("cannot set up knowledge base '" + path + "': " + msg);
    }
    Stmt v(db, "PRAGMA user_version");
    int version = v.Step() == SQLITE_ROW ? static_cast<int>(v.Int(0)) : 0;
    if (version > kSchemaVersion) {
      return Status::Unavailable("knowledge base '" + path + "' has schema version " + std::to_string(version) +
                                 ", newer than this careerbot (" + std::to_string(kSchemaVersion) + ")");
    }
    if (version < kSchemaVersion) {
      std::string sql = "PRAGMA user_version=" + std::to_string(kSchemaVersion) +
                        "; INSERT OR REPLACE INTO meta(key, value) VALUES('schema_version', '" +
                        std::to_string(kSchemaVersion) + "');";
      if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
        return SqlError(db, "cannot record schema version");
      }
    }
  } else {
    Stmt check(db, "SELECT value FROM meta WHERE key = 'schema_version'");
    if (!check.ok() || check.Step() != SQLITE_ROW) {
      return Status::Unavailable("'" + path + "' is not a careerbot knowledge base");
    }
  }
  store->writer_ = std::move(*writer);
  if (mode == Mode::kReadWrite) {
    Store* raw = store.get();
    store->log_queue_ = std::make_unique<QuestionLogQueue>(
        [raw](const std::vector<LoggedQuestion>& lines) { return raw->LogQuestions(lines); });
  }
  auto watcher = store->Connect(false);
  if (!watcher.ok()) return watcher.status();
  store->watcher_ = std::move(*watcher);
  return store;
}

std::unique_ptr<Store::Conn> Store::AcquireReader() {
  {
    std::lock_guard<std::mutex> lock(pool_mu_);
    if (!readers_.empty()) {
      auto conn = std::move(readers_.back());
      readers_.pop_back();
      return conn;
    }
  }
  auto conn = Connect(false);
  return conn.ok() ? std::move(*conn) : nullptr;
}

void Store::ReleaseReader(std::unique_ptr<Conn> conn) {
  std::lock_guard<std::mutex> lock(pool_mu_);
  if (readers_.size() < 64) readers_.push_back(std::move(conn));
}

Status Store::ReplaceAll(std::vector<Entry> entries, const std::string& synonyms_text, const std::string& origin) {
  if (mode_ != Mode::kReadWrite) return Status::Unavailable("the knowledge base is open read-only");
  std::set<std::string> ids;
  for (const Entry& e : entries) {
    if (!bot::IsValidSlug(e.id)) return Status::InvalidArgument("invalid entry id '" + e.id + "'");
    if (!ids.insert(e.id).second) return Status::InvalidArgument("duplicate entry id '" + e.id + "'");
    if (bot::Trim(e.title).empty()) return Status::InvalidArgument("entry '" + e.id + "' has no title");
    if (bot::Trim(e.body).empty()) return Status::InvalidArgument("entry '" + e.id + "' has no body");
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.id < b.id; });
  bot::Normalizer normalizer(bot::SynonymTable::Parse(synonyms_text));

  std::lock_guard<std::mutex> lock(write_mu_);
  sqlite3* db = writer_->db;
  if (sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) return SqlError(db, "begin");
  auto fail = [&](const std::string& what) {
    Status s = SqlError(db, what);
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    return s;
  };
  if (sqlite3_exec(db, "DELETE FROM entries; DELETE FROM entries_fts;", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return fail("clear entries");
  }
  Stmt ins(db, "INSERT INTO entries(rowid, id, title, body, questions, tags, article, section, url, updated_at) "
               "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
  Stmt fts(db, "INSERT INTO entries_fts(rowid, title, questions, tags, body) VALUES(?1, ?2, ?3, ?4, ?5)");
  if (!ins.ok() || !fts.ok()) return fail("prepare insert");
  uint64_t hash = Fnv1a(synonyms_text);
  int64_t rowid = 0;
  for (Entry& e : entries) {
    rowid++;
    for (auto& q : e.questions) q = OneLine(q);
    e.questions.erase(std::remove(e.questions.begin(), e.questions.end(), std::string()), e.questions.end());
    for (auto& t : e.tags) t = OneLine(t);
    std::vector<std::string> question_terms;
    for (const auto& q : e.questions) question_terms.push_back(normalizer.IndexText(q));
    std::string record = JoinWith({e.id, e.title, e.body, JoinWith(e.questions, "\n"), JoinWith(e.tags, ","),
                                   e.source.article, e.source.section, e.source.url, e.updated_at},
                                  "\x1f");
    hash = Fnv1a(record + "\x1e", hash);
    sqlite3_reset(ins.get());
    ins.Bind(1, rowid);
    ins.Bind(2, e.id);
    ins.Bind(3, e.title);
    ins.Bind(4, e.body);
    ins.Bind(5, JoinWith(e.questions, "\n"));
    ins.Bind(6, JoinWith(e.tags, ","));
    ins.Bind(7, e.source.article);
    ins.Bind(8, e.source.section);
    ins.Bind(9, e.source.url);
    ins.Bind(10, e.updated_at);
    if (ins.Step() != SQLITE_DONE) return fail("insert entry '" + e.id + "'");
    sqlite3_reset(fts.get());
    fts.Bind(1, rowid);
    fts.Bind(2, normalizer.IndexText(e.title));
    fts.Bind(3, JoinWith(question_terms, kQuestionSeparator));
    fts.Bind(4, normalizer.IndexText(JoinWith(e.tags, " , ")));
    fts.Bind(5, normalizer.IndexText(e.body));
    if (fts.Step() != SQLITE_DONE) return fail("index entry '" + e.id + "'");
  }
  char rank[128];
  std::snprintf(rank, sizeof rank, "bm25(%.1f, %.1f, %.1f, %.1f)", kTitleWeight, kQuestionsWeight, kTagsWeight,
                kBodyWeight);
  Stmt rank_cfg(db, "INSERT INTO entries_fts(entries_fts, rank) VALUES('rank', ?1)");
  rank_cfg.Bind(1, std::string(rank));
  if (rank_cfg.Step() != SQLITE_DONE) return fail("configure rank");
  Stmt meta(db, "INSERT OR REPLACE INTO meta(key, value) VALUES(?1, ?2)");
  auto set_meta = [&](const std::string& k, const std::string& v) {
    sqlite3_reset(meta.get());
    meta.Bind(1, k);
    meta.Bind(2, v);
    return meta.Step() == SQLITE_DONE;
  };
  if (!set_meta("version", "kb-" + Hex64(hash)) || !set_meta("synonyms", synonyms_text) ||
      !set_meta("normalizer", std::to_string(bot::Normalizer::kVersion)) ||
      !set_meta("origin", origin) || !set_meta("field_weights", rank)) {
    return fail("write metadata");
  }
  if (sqlite3_exec(db, "INSERT INTO entries_fts(entries_fts) VALUES('optimize')", nullptr, nullptr, nullptr) !=
      SQLITE_OK) {
    return fail("optimize index");
  }
  if (sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) return fail("commit");
  return Status::Ok();
}

Status Store::Compact() {
  std::lock_guard<std::mutex> lock(write_mu_);
  if (sqlite3_exec(writer_->db, "VACUUM", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return SqlError(writer_->db, "vacuum");
  }
  return Status::Ok();
}

Result<std::vector<Entry>> Store::ListEntries() {
  auto conn = AcquireReader();
  if (!conn) return Status::Unavailable("cannot open a connection to '" + path_ + "'");
  std::vector<Entry> out;
  {
    Stmt s(conn->db, (std::string("SELECT ") + kEntryColumns + " FROM entries ORDER BY id").c_str());
    if (!s.ok()) return SqlError(conn->db, "list entries");
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) out.push_back(ReadEntry(s, 0));
    if (rc != SQLITE_DONE) return SqlError(conn->db, "list entries");
  }
  ReleaseReader(std::move(conn));
  return out;
}

Result<Entry> Store::GetEntry(const std::string& id) {
  auto conn = AcquireReader();
  if (!conn) return Status::Unavailable("cannot open a connection to '" + path_ + "'");
  Result<Entry> result = Status::NotFound("no entry with id '" + id + "'");
  {
    Stmt s(conn->db, (std::string("SELECT ") + kEntryColumns + " FROM entries WHERE id = ?1").c_str());
    if (!s.ok()) return SqlError(conn->db, "get entry");
    s.Bind(1, id);
    int rc = s.Step();
    if (rc == SQLITE_ROW) {
      result = ReadEntry(s, 0);
    } else if (rc != SQLITE_DONE) {
      return SqlError(conn->db, "get entry");
    }
  }
  ReleaseReader(std::move(conn));
  return result;
}

Result<std::string> Store::GetMeta(const std::string& key) {
  auto conn = AcquireReader();
  if (!conn) return Status::Unavailable("cannot open a connection to '" + path_ + "'");
  Result<std::string> result = Status::NotFound("no metadata '" + key + "'");
  {
    Stmt s(conn->db, "SELECT value FROM meta WHERE key = ?1");
    if (!s.ok()) return SqlError(conn->db, "read metadata");
    s.Bind(1, key);
    if (s.Step() == SQLITE_ROW) result = s.Text(0);
  }
  ReleaseReader(std::move(conn));
  return result;
}

Result<size_t> Store::CountEntries() {
  auto lexicon = GetLexicon();
  if (!lexicon.ok()) return lexicon.status();
  return (*lexicon)->entry_count;
}

// The index in memory, compact: what ranking needs for every entry (its
// terms' counts per field, field lengths, rowid and id), and nothing it does
// not. The Hits returned (entry text and indexed terms) are read from SQLite
// by rowid for the few best candidates of a search, and kept in a bounded
// cache (HitCache). At 100k entries the full Hits took ~300 MB; the
// compact index takes a tenth of that (bench/run.sh, scale_bench).
//
// Each entry's terms are one byte string, the terms in ascending id order:
//   varint(term id - previous term id), then a byte: bits 0-3 say which
//   fields (title, questions, tags, body) hold the term; bit 4 set means
//   counts follow, one varint per field present, else each count is 1.
struct Store::Snapshot {
  std::shared_ptr<const bot::Lexicon> lexicon;
  std::unordered_map<std::string, uint32_t> term_ids;
  std::vector<uint32_t> doc_freq;  // by term id
  // By entry, in rowid order (an entry's index is its position):
  std::vector<int64_t> rowids;         // ascending
  std::vector<uint32_t> lengths;       // 4 per entry: terms per field
  std::vector<uint32_t> term_offsets;  // entries + 1 offsets into terms
  std::vector<uint8_t> terms;          // the encoded terms of every entry
  std::vector<uint32_t> id_offsets;    // entries + 1 offsets into ids
  std::string ids;                     // every entry id, one after another
  double avg_length[4] = {1, 1, 1, 1};

  size_t size() const { return rowids.size(); }
  std::string_view id(uint32_t d) const { return std::string_view(ids).substr(id_offsets[d], id_offsets[d + 1] - id_offsets[d]); }
  // The index of the entry with `rowid`, or -1.
  int64_t Find(int64_t rowid) const {
    auto it = std::lower_bound(rowids.begin(), rowids.end(), rowid);
    return it != rowids.end() && *it == rowid ? it - rowids.begin() : -1;
  }
  // Sum of Idf() over the distinct terms of `phrasing` (space-separated).
  double PhrasingIdf(const std::string& phrasing) const {
    std::vector<uint32_t> found;
    size_t start = 0;
    while (start < phrasing.size()) {
      size_t end = phrasing.find(' ', start);
      if (end == std::string::npos) end = phrasing.size();
      auto it = term_ids.find(phrasing.substr(start, end - start));
      if (it != term_ids.end()) found.push_back(it->second);
      start = end + 1;
    }
    std::sort(found.begin(), found.end());
    found.erase(std::unique(found.begin(), found.end()), found.end());
    double sum = 0;
    for (uint32_t t : found) sum += bot::Idf(size(), doc_freq[t]);
    return sum;
  }

  // Hits read from SQLite, by entry index: every entry when there are at
  // most kCacheSlots (the shipped knowledge base: no read after warm-up),
  // else direct-mapped (slot = index % kCacheSlots), so memory stays
  // bounded (a few MB) however large the knowledge base is.
  static constexpr size_t kCacheSlots = 4096;
  static constexpr size_t kCacheStripes = 16;
  struct Slot {
    uint32_t doc = UINT32_MAX;
    std::shared_ptr<const bot::IndexedEntry> hit;
  };
  mutable std::vector<Slot> cache;
  mutable std::mutex cache_mu[kCacheStripes];
  std::shared_ptr<const bot::IndexedEntry> Cached(uint32_t d) const {
    size_t slot = d % cache.size();
    std::lock_guard<std::mutex> lock(cache_mu[slot % kCacheStripes]);
    return cache[slot].doc == d ? cache[slot].hit : nullptr;
  }
  void Remember(uint32_t d, std::shared_ptr<const bot::IndexedEntry> hit) const {
    size_t slot = d % cache.size();
    std::lock_guard<std::mutex> lock(cache_mu[slot % kCacheStripes]);
    cache[slot].doc = d;
    cache[slot].hit = std::move(hit);
  }
};

namespace {

void PutVarint(std::vector<uint8_t>* out, uint32_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<uint8_t>(v));
}

inline uint32_t GetVarint(const uint8_t** p) {
  uint32_t v = 0;
  int shift = 0;
  while (**p & 0x80) {
    v |= static_cast<uint32_t>(**p & 0x7f) << shift;
    shift += 7;
    (*p)++;
  }
  v |= static_cast<uint32_t>(**p) << shift;
  (*p)++;
  return v;
}

// The terms of one field's index text: (term id, count) sorted by id, and
// the number of terms. New terms get the next id.
void CountTerms(const std::string& text, std::unordered_map<std::string, uint32_t>* ids,
                std::vector<uint32_t>* doc_freq, std::vector<std::pair<uint32_t, uint16_t>>* tf, uint32_t* length) {
  std::vector<uint32_t> seen;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    if (end > start && !(end - start == 1 && text[start] == '|')) {
      auto [it, inserted] = ids->emplace(text.substr(start, end - start), static_cast<uint32_t>(ids->size()));
      if (inserted) doc_freq->push_back(0);
      seen.push_back(it->second);
      (*length)++;
    }
    start = end + 1;
  }
  std::sort(seen.begin(), seen.end());
  for (size_t i = 0; i < seen.size();) {
    size_t j = i;
    while (j < seen.size() && seen[j] == seen[i]) j++;
    tf->emplace_back(seen[i], static_cast<uint16_t>(std::min<size_t>(j - i, 65535)));
    i = j;
  }
}

// Appends one entry's terms (per field, each sorted by id) to `out`, in the
// encoding Store::Snapshot describes; counts each term once in doc_freq and
// marks the terms of the head fields (all but the body).
void EncodeTerms(const std::vector<std::pair<uint32_t, uint16_t>> (&tf)[4], std::vector<uint8_t>* out,
                 std::vector<uint32_t>* doc_freq, std::vector<char>* head) {
  size_t pos[4] = {0, 0, 0, 0};
  uint32_t previous = 0;
  while (true) {
    uint32_t term = UINT32_MAX;
    for (int f = 0; f < 4; f++) {
      if (pos[f] < tf[f].size()) term = std::min(term, tf[f][pos[f]].first);
    }
    if (term == UINT32_MAX) break;
    uint16_t counts[4] = {0, 0, 0, 0};
    uint8_t mask = 0;
    bool more = false;
    for (int f = 0; f < 4; f++) {
      if (pos[f] < tf[f].size() && tf[f][pos[f]].first == term) {
        counts[f] = tf[f][pos[f]].second;
        mask |= static_cast<uint8_t>(1u << f);
        more = more || counts[f] > 1;
        pos[f]++;
      }
    }
    PutVarint(out, term - previous);
    previous = term;
    out->push_back(static_cast<uint8_t>(mask | (more ? 0x10 : 0)));
    if (more) {
      for (int f = 0; f < 4; f++) {
        if (mask & (1u << f)) PutVarint(out, counts[f]);
      }
    }
    (*doc_freq)[term]++;
    if (term >= head->size()) head->resize(term + 1, 0);
    if (mask & 0x7) (*head)[term] = 1;
  }
}

}  // namespace

Result<std::shared_ptr<const Store::Snapshot>> Store::LoadSnapshot(Conn* conn, const std::string& version) {
  auto snap = std::make_shared<Snapshot>();
  auto lexicon = std::make_shared<bot::Lexicon>();
  lexicon->version = version;
  sqlite3* db = conn->db;
  std::vector<char> head;
  double total[4] = {0, 0, 0, 0};
  // One read transaction, so the snapshot is one consistent version.
  if (sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK) return SqlError(db, "begin read");
  Status status;
  {
    Stmt meta(db, "SELECT key, value FROM meta WHERE key IN ('version', 'synonyms')");
    std::string synonyms;
    while (meta.ok() && meta.Step() == SQLITE_ROW) {
      std::string key = meta.Text(0);
      if (key == "version") lexicon->version = meta.Text(1);
      if (key == "synonyms") synonyms = meta.Text(1);
    }
    lexicon->normalizer = bot::Normalizer(bot::SynonymTable::Parse(synonyms));
    Stmt rows(db,
              "SELECT f.rowid, f.title, f.questions, f.tags, f.body, e.id"
              " FROM entries_fts f JOIN entries e ON e.rowid = f.rowid ORDER BY f.rowid");
    if (!rows.ok()) {
      status = SqlError(db, "read the index");
    } else {
      int rc;
      snap->term_offsets.push_back(0);
      snap->id_offsets.push_back(0);
      std::vector<std::pair<uint32_t, uint16_t>> tf[4];
      while ((rc = rows.Step()) == SQLITE_ROW) {
        snap->rowids.push_back(rows.Int(0));
        for (int f = 0; f < 4; f++) {
          tf[f].clear();
          uint32_t length = 0;
          CountTerms(rows.Text(1 + f), &snap->term_ids, &snap->doc_freq, &tf[f], &length);
          snap->lengths.push_back(length);
          total[f] += length;
        }
        EncodeTerms(tf, &snap->terms, &snap->doc_freq, &head);
        snap->term_offsets.push_back(static_cast<uint32_t>(snap->terms.size()));
        snap->ids += rows.Text(5);
        snap->id_offsets.push_back(static_cast<uint32_t>(snap->ids.size()));
      }
      if (rc != SQLITE_DONE) status = SqlError(db, "read the index");
    }
  }
  sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  if (!status.ok()) return status;
  snap->terms.shrink_to_fit();
  snap->lengths.shrink_to_fit();
  snap->rowids.shrink_to_fit();
  snap->term_offsets.shrink_to_fit();
  snap->id_offsets.shrink_to_fit();
  snap->ids.shrink_to_fit();
  const size_t n = snap->size();
  for (int f = 0; f < 4; f++) {
    snap->avg_length[f] = n == 0 ? 1.0 : std::max(1.0, total[f] / static_cast<double>(n));
  }
  snap->cache.resize(std::max<size_t>(1, std::min(n, Snapshot::kCacheSlots)));
  lexicon->entry_count = n;
  head.resize(snap->term_ids.size(), 0);
  lexicon->doc_freq.reserve(snap->term_ids.size());
  for (const auto& [term, id] : snap->term_ids) {
    lexicon->doc_freq.emplace(term, snap->doc_freq[id]);
    if (head[id]) lexicon->head_terms.insert(term);
  }
  snap->lexicon = std::move(lexicon);
  return std::shared_ptr<const Snapshot>(std::move(snap));
}

Result<std::shared_ptr<const Store::Snapshot>> Store::CurrentSnapshot() {
  std::lock_guard<std::mutex> lock(lexicon_mu_);
  // PRAGMA data_version changes when another connection commits (a curation
  // edit, a rebuild, but also a question-log line); only a new content
  // version reloads the snapshot.
  static const char kDataVersion[] = "PRAGMA data_version";
  Stmt dv(watcher_->db, watcher_->Cached(kDataVersion));
  if (!dv.ok() || dv.Step() != SQLITE_ROW) return SqlError(watcher_->db, "read data version");
  int64_t data_version = dv.Int(0);
  if (snapshot_ && data_version == data_version_) return snapshot_;
  static const char kVersion[] = "SELECT value FROM meta WHERE key = 'version'";
  std::string version;
  {
    Stmt v(watcher_->db, watcher_->Cached(kVersion));
    if (!v.ok()) return SqlError(watcher_->db, "read version");
    if (v.Step() == SQLITE_ROW) version = v.Text(0);
  }
  if (!snapshot_ || snapshot_->lexicon->version != version) {
    auto loaded = LoadSnapshot(watcher_.get(), version);
    if (!loaded.ok()) return loaded.status();
    std::atomic_store(&snapshot_, std::shared_ptr<const Snapshot>(*loaded));
  }
  data_version_ = data_version;
  return snapshot_;
}

Result<std::shared_ptr<const bot::Lexicon>> Store::GetLexicon() {
  auto snap = CurrentSnapshot();
  if (!snap.ok()) return snap.status();
  return (*snap)->lexicon;
}

Result<std::vector<bot::Hit>> Store::Search(const std::vector<std::string>& terms, size_t limit) {
  std::vector<bot::Hit> hits;
  if (terms.empty() || limit == 0) return hits;
  // A commit that changes the content between reading the candidates and
  // reading their Hits is seen (the version read with them differs): then
  // search again on the new snapshot.
  for (int attempt = 0;; attempt++) {
    auto current = CurrentSnapshot();
    if (!current.ok()) return current.status();
    bool stale = false;
    auto found = SearchSnapshot(**current, terms, limit, &stale);
    if (!stale || attempt == 3) return found;
  }
}

Result<std::vector<bot::Hit>> Store::SearchIn(const bot::Lexicon& lexicon, const std::vector<std::string>& terms,
                                              size_t limit) {
  std::shared_ptr<const Snapshot> snap = std::atomic_load(&snapshot_);
  if (!snap || snap->lexicon.get() != &lexicon || terms.empty() || limit == 0) return Search(terms, limit);
  bool stale = false;
  auto found = SearchSnapshot(*snap, terms, limit, &stale);
  return stale ? Search(terms, limit) : found;
}

Result<std::vector<bot::Hit>> Store::SearchSnapshot(const Snapshot& snap, const std::vector<std::string>& terms,
                                                    size_t limit, bool* stale) {
  std::vector<bot::Hit> hits;
  // The terms to look up: the rarest first (the caller orders them so),
  // while the candidates they bring stay within kMaxCandidates.
  std::vector<uint32_t> ids;
  std::vector<std::string> lookup;
  size_t expected = 0;
  for (const auto& t : terms) {
    auto it = snap.term_ids.find(t);
    if (it == snap.term_ids.end()) continue;
    ids.push_back(it->second);
    uint32_t df = snap.doc_freq[it->second];
    if (lookup.empty() || expected + df <= kMaxCandidates) {
      lookup.push_back(t);
      expected += df;
    }
  }
  if (lookup.empty()) return hits;

  auto conn = AcquireReader();
  if (!conn) return Status::Unavailable("cannot open a connection to '" + path_ + "'");
  std::vector<uint32_t> candidates;
  {
    static const char kMatch[] = "SELECT rowid FROM entries_fts WHERE entries_fts MATCH ?1 LIMIT ?2";
    Stmt s(conn->db, conn->Cached(kMatch));
    if (!s.ok()) return SqlError(conn->db, "prepare search");
    s.Bind(1, Fts5OrQuery(lookup));
    s.Bind(2, static_cast<int64_t>(kMaxCandidates));
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) {
      int64_t d = snap.Find(s.Int(0));
      if (d >= 0) candidates.push_back(static_cast<uint32_t>(d));
    }
    if (rc != SQLITE_DONE) return SqlError(conn->db, "search");
  }

  // BM25F: per term, the field-weighted, length-normalized frequency.
  constexpr double kK1 = 1.2, kB = 0.75;
  const double weights[4] = {kTitleWeight, kQuestionsWeight, kTagsWeight, kBodyWeight};
  std::vector<double> idf;
  for (uint32_t id : ids) idf.push_back(bot::Idf(snap.size(), snap.doc_freq[id]));
  // The distinct query terms in id order, and where each of `ids` is among them.
  std::vector<uint32_t> unique_ids = ids;
  std::sort(unique_ids.begin(), unique_ids.end());
  unique_ids.erase(std::unique(unique_ids.begin(), unique_ids.end()), unique_ids.end());
  std::vector<size_t> position(ids.size());
  for (size_t k = 0; k < ids.size(); k++) {
    position[k] = static_cast<size_t>(std::lower_bound(unique_ids.begin(), unique_ids.end(), ids[k]) - unique_ids.begin());
  }
  std::vector<std::array<uint16_t, 4>> counts(unique_ids.size());
  std::vector<std::pair<double, uint32_t>> scored;
  scored.reserve(candidates.size());
  for (uint32_t c : candidates) {
    for (auto& cnt : counts) cnt = {0, 0, 0, 0};
    const uint8_t* p = snap.terms.data() + snap.term_offsets[c];
    const uint8_t* end = snap.terms.data() + snap.term_offsets[c + 1];
    uint32_t term = 0;
    size_t j = 0;
    while (p < end && j < unique_ids.size()) {
      term += GetVarint(&p);
      uint8_t flags = *p++;
      std::array<uint16_t, 4> cnt = {0, 0, 0, 0};
      for (int f = 0; f < 4; f++) {
        if (flags & (1u << f)) cnt[f] = (flags & 0x10) ? static_cast<uint16_t>(GetVarint(&p)) : 1;
      }
      while (j < unique_ids.size() && unique_ids[j] < term) j++;
      if (j < unique_ids.size() && unique_ids[j] == term) counts[j++] = cnt;
    }
    const uint32_t* length = &snap.lengths[static_cast<size_t>(c) * 4];
    double score = 0;
    for (size_t k = 0; k < ids.size(); k++) {
      const std::array<uint16_t, 4>& cnt = counts[position[k]];
      double tf = 0;
      for (int f = 0; f < 4; f++) {
        uint16_t count = cnt[f];
        if (count) tf += weights[f] * count / (1.0 - kB + kB * length[f] / snap.avg_length[f]);
      }
      if (tf > 0) score += idf[k] * tf * (kK1 + 1) / (tf + kK1);
    }
    scored.emplace_back(score, c);
  }
  auto better = [&](const std::pair<double, uint32_t>& a, const std::pair<double, uint32_t>& b) {
    if (a.first != b.first) return a.first > b.first;
    return snap.id(a.second) < snap.id(b.second);
  };
  size_t k = std::min(limit, scored.size());
  std::partial_sort(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(k), scored.end(), better);

  // The best candidates' Hits: from the cache, else from SQLite by rowid, in
  // one read transaction that also checks the content version is the
  // snapshot's.
  std::vector<std::shared_ptr<const bot::IndexedEntry>> best(k);
  std::vector<size_t> missing;
  for (size_t i = 0; i < k; i++) {
    best[i] = snap.Cached(scored[i].second);
    if (!best[i]) missing.push_back(i);
  }
  if (!missing.empty()) {
    Status s = ReadHits(conn.get(), snap, scored, missing, &best, stale);
    if (!s.ok()) return s;
    if (*stale) {
      ReleaseReader(std::move(conn));
      return hits;
    }
  }
  ReleaseReader(std::move(conn));
  hits.reserve(k);
  for (size_t i = 0; i < k; i++) hits.push_back({std::move(best[i]), scored[i].first});
  return hits;
}

Status Store::ReadHits(Conn* conn, const Snapshot& snap, const std::vector<std::pair<double, uint32_t>>& scored,
                       const std::vector<size_t>& missing, std::vector<std::shared_ptr<const bot::IndexedEntry>>* best,
                       bool* stale) {
  static const char kBegin[] = "BEGIN";
  static const char kCommit[] = "COMMIT";
  static const char kVersion[] = "SELECT value FROM meta WHERE key = 'version'";
  static const char kRow[] =
      "SELECT f.title, f.questions, f.tags, f.body, e.id, e.title, e.body, e.questions, e.tags, e.article, e.section,"
      " e.url, e.updated_at FROM entries e, entries_fts f WHERE e.rowid = ?1 AND f.rowid = ?1";
  sqlite3* db = conn->db;
  {
    Stmt begin(db, conn->Cached(kBegin));
    if (!begin.ok() || begin.Step() != SQLITE_DONE) return SqlError(db, "begin read");
  }
  auto finish = [&](Status s) {
    Stmt commit(db, conn->Cached(kCommit));
    if (!commit.ok() || commit.Step() != SQLITE_DONE) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    return s;
  };
  {
    Stmt v(db, conn->Cached(kVersion));
    if (!v.ok()) return finish(SqlError(db, "read version"));
    std::string version = v.Step() == SQLITE_ROW ? v.Text(0) : std::string();
    if (version != snap.lexicon->version) {
      *stale = true;
      return finish(Status::Ok());
    }
  }
  for (size_t i : missing) {
    uint32_t d = scored[i].second;
    Stmt row(db, conn->Cached(kRow));
    if (!row.ok()) return finish(SqlError(db, "prepare entry read"));
    row.Bind(1, snap.rowids[d]);
    int rc = row.Step();
    if (rc != SQLITE_ROW) {
      // The version matched, so the row is there: anything else is an error.
      return finish(rc == SQLITE_DONE ? Status::Unavailable("the index and the entries disagree; rebuild the knowledge base")
                                      : SqlError(db, "read entry"));
    }
    auto hit = std::make_shared<bot::IndexedEntry>();
    hit->rowid = snap.rowids[d];
    hit->title_terms = row.Text(0);
    hit->question_terms = SplitOn(row.Text(1), kQuestionSeparator);
    hit->tag_terms = row.Text(2);
    hit->body_terms = row.Text(3);
    hit->entry = ReadEntry(row, 4);
    // One string per question, also when a question has no index terms at
    // all ("What is it?"): an empty field splits into nothing.
    hit->question_terms.resize(hit->entry.questions.size());
    hit->title_idf = snap.PhrasingIdf(hit->title_terms);
    for (const auto& q : hit->question_terms) hit->question_idf.push_back(snap.PhrasingIdf(q));
    bot::PrepareTermSets(hit.get());
    snap.Remember(d, hit);
    (*best)[i] = std::move(hit);
  }
  return finish(Status::Ok());
}

Status Store::LogQuestion(const LoggedQuestion& q) { return LogQuestions({q}); }

Status Store::LogQuestions(const std::vector<LoggedQuestion>& qs) {
  if (mode_ != Mode::kReadWrite || qs.empty()) return Status::Ok();
  std::lock_guard<std::mutex> lock(write_mu_);
  sqlite3* db = writer_->db;
  if (sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) return SqlError(db, "begin log");
  Status status;
  {
    Stmt s(db,
           "INSERT OR IGNORE INTO question_log(answer_id, asked_at, channel, question, normalized, answered, kind, "
           "confidence, entry_id) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    if (!s.ok()) status = SqlError(db, "prepare log");
    for (size_t i = 0; status.ok() && i < qs.size(); i++) {
      const LoggedQuestion& q = qs[i];
      sqlite3_reset(s.get());
      s.Bind(1, q.answer_id);
      s.Bind(2, q.asked_at);
      s.Bind(3, q.channel);
      s.Bind(4, std::string(bot::TruncateUtf8(q.question, 2000)));
      s.Bind(5, q.normalized);
      s.Bind(6, static_cast<int64_t>(q.answered ? 1 : 0));
      s.Bind(7, q.kind);
      s.BindDouble(8, q.confidence);
      s.Bind(9, q.entry_id);
      if (s.Step() != SQLITE_DONE) status = SqlError(db, "log question");
    }
  }
  if (status.ok() && sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) status = SqlError(db, "commit log");
  if (!status.ok()) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  return status;
}

bool Store::EnqueueQuestion(LoggedQuestion q) {
  if (!log_queue_) return true;  // a read-only snapshot keeps no log
  return log_queue_->Push(std::move(q));
}

void Store::FlushQuestionLog() {
  if (log_queue_) log_queue_->Flush();
}

Status Store::RecordFeedback(const std::string& answer_id, bool helpful, const std::string& comment, int64_t at) {
  if (mode_ != Mode::kReadWrite) return Status::Unavailable("the knowledge base is open read-only");
  // The answer's line may still be queued: write it first.
  FlushQuestionLog();
  std::lock_guard<std::mutex> lock(write_mu_);
  Stmt s(writer_->db, "UPDATE question_log SET helpful = ?2, comment = ?3, feedback_at = ?4 WHERE answer_id = ?1");
  if (!s.ok()) return SqlError(writer_->db, "prepare feedback");
  s.Bind(1, answer_id);
  s.Bind(2, static_cast<int64_t>(helpful ? 1 : 0));
  s.Bind(3, std::string(bot::TruncateUtf8(comment, 2000)));
  s.Bind(4, at);
  if (s.Step() != SQLITE_DONE) return SqlError(writer_->db, "record feedback");
  if (sqlite3_changes(writer_->db) == 0) return Status::NotFound("no answer with id '" + answer_id + "'");
  return Status::Ok();
}

// ---- curation: single-entry changes, their history, the log's upkeep ----

namespace {

// What an entry's content hashes as (ReplaceAll hashes the same record).
std::string EntryRecord(const Entry& e) {
  return JoinWith({e.id, e.title, e.body, JoinWith(e.questions, "\n"), JoinWith(e.tags, ","), e.source.article,
                   e.source.section, e.source.url, e.updated_at},
                  "\x1f");
}

// The store's own format needs these; the curation layer checks far more.
Status CheckStorable(const Entry& e) {
  if (!bot::IsValidSlug(e.id)) return Status::InvalidArgument("id: '" + e.id + "' is not a slug");
  if (bot::Trim(e.title).empty()) return Status::InvalidArgument("title: must not be empty");
  if (bot::Trim(e.body).empty()) return Status::InvalidArgument("body: must not be empty");
  for (size_t i = 0; i < e.questions.size(); i++) {
    if (e.questions[i].empty() || e.questions[i].find('\n') != std::string::npos) {
      return Status::InvalidArgument("questions[" + std::to_string(i) + "]: must be one non-empty line");
    }
  }
  for (size_t i = 0; i < e.tags.size(); i++) {
    if (e.tags[i].empty() || e.tags[i].find_first_of(",\n") != std::string::npos) {
      return Status::InvalidArgument("tags[" + std::to_string(i) + "]: must be one non-empty line without commas");
    }
  }
  return Status::Ok();
}

std::optional<Entry> EntryColumn(Stmt& s, int col) {
  if (sqlite3_column_type(s.get(), col) == SQLITE_NULL) return std::nullopt;
  auto j = nlohmann::json::parse(s.Text(col), nullptr, false);
  Entry e;
  FieldProblem problem;
  if (j.is_discarded() || !EntryFromJson(j, &e, &problem)) return std::nullopt;
  return e;
}

HistoryRecord ReadHistoryRow(Stmt& s) {
  HistoryRecord r;
  r.id = s.Int(0);
  r.at = s.Int(1);
  r.who = s.Text(2);
  r.action = s.Text(3);
  r.entry_id = s.Text(4);
  r.before = EntryColumn(s, 5);
  r.after = EntryColumn(s, 6);
  r.version = s.Text(7);
  return r;
}

}  // namespace

Result<int64_t> Store::PruneQuestionLog(int64_t before) {
  if (mode_ != Mode::kReadWrite) return int64_t{0};  // a read-only store keeps no log
  FlushQuestionLog();
  std::lock_guard<std::mutex> lock(write_mu_);
  Stmt s(writer_->db, "DELETE FROM question_log WHERE asked_at < ?1");
  if (!s.ok()) return SqlError(writer_->db, "prepare prune");
  s.Bind(1, before);
  if (s.Step() != SQLITE_DONE) return SqlError(writer_->db, "prune the question log");
  return static_cast<int64_t>(sqlite3_changes(writer_->db));
}

Result<std::vector<LoggedQuestion>> Store::ListGapQuestions(int64_t since, double low_confidence) {
  FlushQuestionLog();  // the lines answered so far, also those still queued
  auto conn = AcquireReader();
  if (!conn) return Status::Unavailable("cannot open a connection to '" + path_ + "'");
  std::vector<LoggedQuestion> out;
  {
    Stmt s(conn->db,
           "SELECT answer_id, asked_at, channel, question, normalized, answered, kind, confidence, entry_id, "
           "COALESCE(helpful, -1) FROM question_log WHERE asked_at >= ?1 AND kind != 'smalltalk' AND "
           "(answered = 0 OR confidence < ?2 OR helpful = 0 OR kind = 'clarified') ORDER BY asked_at, id");
    if (!s.ok()) return SqlError(conn->db, "read the question log");
    s.Bind(1, since);
    s.BindDouble(2, low_confidence);
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) {
      LoggedQuestion q;
      q.answer_id = s.Text(0);
      q.asked_at = s.Int(1);
      q.channel = s.Text(2);
      q.question = s.Text(3);
      q.normalized = s.Text(4);
      q.answered = s.Int(5) != 0;
      q.kind = s.Text(6);
      q.confidence = s.Double(7);
      q.entry_id = s.Text(8);
      q.helpful = static_cast<int>(s.Int(9));
      out.push_back(std::move(q));
    }
    if (rc != SQLITE_DONE) return SqlError(conn->db, "read the question log");
  }
  ReleaseReader(std::move(conn));
  return out;
}

Result<std::vector<HistoryRecord>> Store::ApplyEntryChanges(const std::vector<EntryChange>& changes,
                                                          const std::string& who, int64_t at,
                                                          const std::function<void(size_t, size_t)>& progress) {
  if (mode_ != Mode::kReadWrite) return Status::Unavailable("the knowledge base is open read-only");
  std::lock_guard<std::mutex> lock(write_mu_);
  sqlite3* db = writer_->db;
  if (sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) return SqlError(db, "begin");
  auto fail = [&](Status s) {
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    return s;
  };
  auto sql_fail = [&](const std::string& what) { return fail(SqlError(db, what)); };

  // New index rows use the synonyms the rest of the index was built with.
  std::string version, synonyms;
  {
    Stmt meta(db, "SELECT key, value FROM meta WHERE key IN ('version', 'synonyms')");
    if (!meta.ok()) return sql_fail("read metadata");
    while (meta.Step() == SQLITE_ROW) {
      std::string key = meta.Text(0);
      if (key == "version") version = meta.Text(1);
      if (key == "synonyms") synonyms = meta.Text(1);
    }
  }
  bot::Normalizer normalizer(bot::SynonymTable::Parse(synonyms));

  Stmt find(db, (std::string("SELECT rowid, ") + kEntryColumns + " FROM entries WHERE id = ?1").c_str());
  Stmt del(db, "DELETE FROM entries WHERE rowid = ?1");
  Stmt del_fts(db, "DELETE FROM entries_fts WHERE rowid = ?1");
  Stmt ins(db, "INSERT INTO entries(id, title, body, questions, tags, article, section, url, updated_at) "
               "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  Stmt upd(db, "UPDATE entries SET title = ?2, body = ?3, questions = ?4, tags = ?5, article = ?6, section = ?7, "
               "url = ?8, updated_at = ?9 WHERE rowid = ?1");
  Stmt fts(db, "INSERT INTO entries_fts(rowid, title, questions, tags, body) VALUES(?1, ?2, ?3, ?4, ?5)");
  if (!find.ok() || !del.ok() || !del_fts.ok() || !ins.ok() || !upd.ok() || !fts.ok()) {
    return sql_fail("prepare the change");
  }
  auto bind_entry = [](Stmt& s, int first, const Entry& e) {
    s.Bind(first, e.title);
    s.Bind(first + 1, e.body);
    s.Bind(first + 2, JoinWith(e.questions, "\n"));
    s.Bind(first + 3, JoinWith(e.tags, ","));
    s.Bind(first + 4, e.source.article);
    s.Bind(first + 5, e.source.section);
    s.Bind(first + 6, e.source.url);
    s.Bind(first + 7, e.updated_at);
  };
  auto index = [&](int64_t rowid, const Entry& e) {
    std::vector<std::string> question_terms;
    for (const auto& q : e.questions) question_terms.push_back(normalizer.IndexText(q));
    sqlite3_reset(fts.get());
    fts.Bind(1, rowid);
    fts.Bind(2, normalizer.IndexText(e.title));
    fts.Bind(3, JoinWith(question_terms, kQuestionSeparator));
    fts.Bind(4, normalizer.IndexText(JoinWith(e.tags, " , ")));
    fts.Bind(5, normalizer.IndexText(e.body));
    return fts.Step() == SQLITE_DONE;
  };
  auto step = [](Stmt& s) {
    int rc = s.Step();
    sqlite3_reset(s.get());
    return rc == SQLITE_DONE;
  };

  std::vector<HistoryRecord> records;
  records.reserve(changes.size());
  uint64_t hash = Fnv1a(version);
  bool changed = false;
  using Op = EntryChange::Op;
  for (size_t i = 0; i < changes.size(); i++) {
    if (progress && i > 0 && i % 50 == 0) progress(i, changes.size());
    const EntryChange& c = changes[i];
    HistoryRecord r;
    r.at = at;
    r.who = who;
    r.action = c.action;
    r.entry_id = (c.op == Op::kAdd || c.op == Op::kPut) ? c.entry.id : c.id;
    int64_t rowid = 0;
    sqlite3_reset(find.get());
    find.Bind(1, r.entry_id);
    int rc = find.Step();
    if (rc == SQLITE_ROW) {
      rowid = find.Int(0);
      r.before = ReadEntry(find, 1);
    } else if (rc != SQLITE_DONE) {
      return sql_fail("read entry '" + r.entry_id + "'");
    }
    sqlite3_reset(find.get());
    if (c.expect && *c.expect != (r.before ? EntryFingerprint(*r.before) : std::string())) {
      return fail(Status::AlreadyExists("entry '" + r.entry_id +
                                        "' was changed by someone else since it was read; reload it and try again"));
    }
    bool missing = !r.before && (c.op == Op::kReplace || c.op == Op::kDelete || c.op == Op::kEdit);
    if (missing) return fail(Status::NotFound("no entry with id '" + r.entry_id + "'"));
    switch (c.op) {
      case Op::kAdd:
        if (r.before) return fail(Status::AlreadyExists("id: an entry with id '" + r.entry_id + "' already exists"));
        r.after = c.entry;
        break;
      case Op::kReplace:
        if (c.entry.id != r.entry_id) {
          return fail(Status::InvalidArgument("id: '" + c.entry.id + "' is not the id of the entry replaced ('" +
                                              r.entry_id + "')"));
        }
        r.after = c.entry;
        break;
      case Op::kPut:
        r.after = c.entry;
        break;
      case Op::kDelete:
        break;
      case Op::kEdit: {
        Entry e = *r.before;
        if (c.edit) {
          Status s = c.edit(&e);
          if (!s.ok()) return fail(s);
        }
        if (e.id != r.entry_id) return fail(Status::InvalidArgument("id: an edit cannot change an entry's id"));
        r.after = std::move(e);
        break;
      }
    }
    if (r.after) {
      Status s = CheckStorable(*r.after);
      if (!s.ok()) return fail(s);
    }
    bool same = r.before && r.after && SameEntry(*r.before, *r.after);
    if (same || (!r.before && !r.after)) {
      records.push_back(std::move(r));  // id 0: nothing to record
      continue;
    }
    if (!r.after) {
      del.Bind(1, rowid);
      del_fts.Bind(1, rowid);
      if (!step(del) || !step(del_fts)) return sql_fail("delete entry '" + r.entry_id + "'");
    } else if (r.before) {
      upd.Bind(1, rowid);
      bind_entry(upd, 2, *r.after);
      del_fts.Bind(1, rowid);
      if (!step(upd) || !step(del_fts) || !index(rowid, *r.after)) {
        return sql_fail("update entry '" + r.entry_id + "'");
      }
    } else {
      ins.Bind(1, r.after->id);
      bind_entry(ins, 2, *r.after);
      if (!step(ins)) return sql_fail("insert entry '" + r.entry_id + "'");
      rowid = sqlite3_last_insert_rowid(db);
      if (!index(rowid, *r.after)) return sql_fail("index entry '" + r.entry_id + "'");
    }
    hash = Fnv1a(c.action + "\x1f" + r.entry_id + "\x1f" + (r.after ? EntryRecord(*r.after) : "-") + "\x1e", hash);
    changed = true;
    records.push_back(std::move(r));
  }
  if (progress && !changes.empty()) progress(changes.size(), changes.size());
  if (!changed) {
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    return records;
  }
  std::string new_version = "kb-" + Hex64(hash);
  {
    Stmt meta(db, "INSERT OR REPLACE INTO meta(key, value) VALUES(?1, ?2)");
    if (!meta.ok()) return sql_fail("write metadata");
    meta.Bind(1, std::string("version"));
    meta.Bind(2, new_version);
    if (!step(meta)) return sql_fail("write metadata");
    meta.Bind(1, std::string("origin"));
    meta.Bind(2, std::string("curated"));
    if (!step(meta)) return sql_fail("write metadata");
  }
  {
    Stmt hist(db, "INSERT INTO history(at, who, action, entry_id, before, after, version) "
                  "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    if (!hist.ok()) return sql_fail("prepare history");
    for (auto& r : records) {
      bool same = r.before && r.after && SameEntry(*r.before, *r.after);
      if (same || (!r.before && !r.after)) continue;
      r.version = new_version;
      hist.Bind(1, r.at);
      hist.Bind(2, r.who);
      hist.Bind(3, r.action);
      hist.Bind(4, r.entry_id);
      if (r.before) {
        hist.Bind(5, EntryToJsonLine(*r.before));
      } else {
        sqlite3_bind_null(hist.get(), 5);
      }
      if (r.after) {
        hist.Bind(6, EntryToJsonLine(*r.after));
      } else {
        sqlite3_bind_null(hist.get(), 6);
      }
      hist.Bind(7, new_version);
      if (!step(hist)) return sql_fail("record history");
      r.id = sqlite3_last_insert_rowid(db);
    }
  }
  if (sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) return sql_fail("commit");
  return records;
}

Result<std::vector<HistoryRecord>> Store::History(const std::string& entry_id, size_t limit) {
  auto conn = AcquireReader();
  if (!conn) return Status::Unavailable("cannot open a connection to '" + path_ + "'");
  std::vector<HistoryRecord> out;
  {
    Stmt s(conn->db,
           "SELECT id, at, who, action, entry_id, before, after, version FROM history WHERE entry_id = ?1 "
           "ORDER BY id DESC LIMIT ?2");
    if (!s.ok()) return SqlError(conn->db, "read the history");
    s.Bind(1, entry_id);
    s.Bind(2, static_cast<int64_t>(limit));
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) out.push_back(ReadHistoryRow(s));
    if (rc != SQLITE_DONE) return SqlError(conn->db, "read the history");
  }
  ReleaseReader(std::move(conn));
  return out;
}

Result<HistoryRecord> Store::GetHistoryRecord(int64_t id) {
  auto conn = AcquireReader();
  if (!conn) return Status::Unavailable("cannot open a connection to '" + path_ + "'");
  Result<HistoryRecord> result = Status::NotFound("no recorded change " + std::to_string(id));
  {
    Stmt s(conn->db, "SELECT id, at, who, action, entry_id, before, after, version FROM history WHERE id = ?1");
    if (!s.ok()) return SqlError(conn->db, "read the history");
    s.Bind(1, id);
    int rc = s.Step();
    if (rc == SQLITE_ROW) {
      result = ReadHistoryRow(s);
    } else if (rc != SQLITE_DONE) {
      return SqlError(conn->db, "read the history");
    }
  }
  ReleaseReader(std::move(conn));
  return result;
}

Status Store::ResolveGaps(const std::vector<std::string>& keys, int64_t at, const std::string& how,
                          const std::string& entry_id, const std::string& who) {
  if (mode_ != Mode::kReadWrite) return Status::Unavailable("the knowledge base is open read-only");
  std::lock_guard<std::mutex> lock(write_mu_);
  sqlite3* db = writer_->db;
  if (sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) return SqlError(db, "begin");
  {
    Stmt s(db, "INSERT OR REPLACE INTO gap_resolution(key, resolved_at, how, entry_id, who) "
               "VALUES(?1, ?2, ?3, ?4, ?5)");
    bool ok = s.ok();
    for (size_t i = 0; ok && i < keys.size(); i++) {
      sqlite3_reset(s.get());
      s.Bind(1, keys[i]);
      s.Bind(2, at);
      s.Bind(3, how);
      s.Bind(4, entry_id);
      s.Bind(5, who);
      ok = s.Step() == SQLITE_DONE;
    }
    if (!ok) {
      Status st = SqlError(db, "record the resolved gap");
      sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
      return st;
    }
  }
  if (sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
    Status st = SqlError(db, "commit");
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    return st;
  }
  return Status::Ok();
}

Result<std::map<std::string, int64_t>> Store::GapResolutions() {
  auto conn = AcquireReader();
  if (!conn) return Status::Unavailable("cannot open a connection to '" + path_ + "'");
  std::map<std::string, int64_t> out;
  {
    Stmt s(conn->db, "SELECT key, resolved_at FROM gap_resolution");
    if (!s.ok()) return SqlError(conn->db, "read the resolved gaps");
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) out[s.Text(0)] = s.Int(1);
    if (rc != SQLITE_DONE) return SqlError(conn->db, "read the resolved gaps");
  }
  ReleaseReader(std::move(conn));
  return out;
}

}  // namespace knowledge
