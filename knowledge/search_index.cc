// The in-memory search snapshot, its codec, and search (see search_index.h).
#include "knowledge/search_index.h"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <optional>
#include <string_view>
#include <unordered_map>

#include "bot/text.h"
#include "knowledge/entry_table.h"
#include "knowledge/index_fields.h"

namespace knowledge {

using bot::Result;
using bot::Status;

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

SearchIndex::SearchIndex(Database* db, std::unique_ptr<Conn> watcher) : db_(db), watcher_(std::move(watcher)) {}
SearchIndex::~SearchIndex() = default;

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
//
// Immutable but for its cache of Hits; shared by every request on its
// content version (each through a Version of its own).
struct SearchIndex::Snapshot {
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

  // A term's postings, for the terms of at most kMaxCachedDocs entries:
  // FTS5's answer for the term (the entries that hold it, ascending) with
  // the term's counts in each, so that a search scores a candidate from the
  // question terms' postings instead of walking its whole term list. Built
  // on first use and kept by term id: every term's when the vocabulary has
  // at most kTermSlots terms (the shipped knowledge base: after warm-up a
  // search runs no FTS5 query), else direct-mapped (slot = term id %
  // kTermSlots), so memory stays bounded (at most 256 postings of about 6
  // bytes in each of 8192 slots: 13 MB; far less in practice, as questions
  // look up rare terms). A snapshot is one content version, so postings are
  // never stale.
  static constexpr size_t kTermSlots = 8192;
  static constexpr size_t kMaxCachedDocs = 256;
  struct Postings {
    std::vector<uint32_t> docs;   // entry indexes, ascending
    // Per entry of `docs`, the term's flags byte and counts as in `terms`.
    // Flags 0 would be an entry FTS5 found that lacks the term in the
    // snapshot; never seen, since both split the same text into the same
    // terms (the ascii tokenizer and bot::Tokenize), and scored as 0.
    std::vector<uint8_t> counts;
  };
  struct TermSlot {
    uint32_t term = UINT32_MAX;
    std::shared_ptr<const Postings> postings;
  };
  // Appends the flags byte and counts of `term` in entry `d` to `out` (a
  // flags byte 0 when the entry lacks it).
  void AppendCounts(uint32_t d, uint32_t term, std::vector<uint8_t>* out) const;
  mutable std::vector<TermSlot> term_cache;
  mutable std::mutex term_mu[kCacheStripes];
  std::shared_ptr<const Postings> CachedPostings(uint32_t term) const {
    size_t slot = term % term_cache.size();
    std::lock_guard<std::mutex> lock(term_mu[slot % kCacheStripes]);
    return term_cache[slot].term == term ? term_cache[slot].postings : nullptr;
  }
  void RememberPostings(uint32_t term, std::shared_ptr<const Postings> postings) const {
    size_t slot = term % term_cache.size();
    std::lock_guard<std::mutex> lock(term_mu[slot % kCacheStripes]);
    term_cache[slot].term = term;
    term_cache[slot].postings = std::move(postings);
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

// Reads one term's flags byte and counts (the encoding of Snapshot::terms).
inline std::array<uint16_t, 4> DecodeCounts(const uint8_t** p) {
  uint8_t flags = *(*p)++;
  std::array<uint16_t, 4> cnt = {0, 0, 0, 0};
  for (int f = 0; f < 4; f++) {
    if (flags & (1u << f)) cnt[f] = (flags & 0x10) ? static_cast<uint16_t>(GetVarint(p)) : 1;
  }
  return cnt;
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
// encoding SearchIndex::Snapshot describes; counts each term once in doc_freq and
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

void SearchIndex::Snapshot::AppendCounts(uint32_t d, uint32_t term, std::vector<uint8_t>* out) const {
  const uint8_t* p = terms.data() + term_offsets[d];
  const uint8_t* end = terms.data() + term_offsets[d + 1];
  uint32_t t = 0;
  while (p < end) {
    t += GetVarint(&p);
    const uint8_t* counts = p;
    DecodeCounts(&p);
    if (t == term) {
      out->insert(out->end(), counts, p);
      return;
    }
    if (t > term) break;
  }
  out->push_back(0);
}

Result<std::shared_ptr<const SearchIndex::Snapshot>> SearchIndex::LoadSnapshot(Conn* conn, const std::string& version,
                                                                               bool in_transaction) {
  auto snap = std::make_shared<Snapshot>();
  auto lexicon = std::make_shared<bot::Lexicon>();
  lexicon->version = version;
  sqlite3* db = conn->db;
  std::vector<char> head;
  double total[4] = {0, 0, 0, 0};
  // One read transaction, so the snapshot is one consistent version.
  std::optional<Transaction> tx;
  if (!in_transaction) {
    ASSIGN_OR_RETURN(Transaction begun, Transaction::Begin(conn, Transaction::Kind::kRead, "begin read"));
    tx.emplace(std::move(begun));
  }
  ASSIGN_OR_RETURN(auto meta, ReadMeta(db, {"version", "synonyms"}));
  if (meta.count("version")) lexicon->version = meta["version"];
  lexicon->normalizer = bot::Normalizer(bot::SynonymTable::Parse(meta["synonyms"]));
  Stmt rows(db,
            "SELECT f.rowid, f.title, f.questions, f.tags, f.body, e.id"
            " FROM entries_fts f JOIN entries e ON e.rowid = f.rowid ORDER BY f.rowid");
  if (!rows.ok()) return SqlError(db, "read the index");
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
  if (rc != SQLITE_DONE) return SqlError(db, "read the index");
  if (tx) tx->Commit();  // a read: nothing is lost if it fails
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
  snap->term_cache.resize(std::max<size_t>(1, std::min(snap->term_ids.size(), Snapshot::kTermSlots)));
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

Result<std::shared_ptr<const SearchIndex::Snapshot>> SearchIndex::CurrentSnapshot() {
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
    ASSIGN_OR_RETURN(snapshot_, LoadSnapshot(watcher_.get(), version));
  }
  data_version_ = data_version;
  return snapshot_;
}

namespace {
constexpr char kVersionSql[] = "SELECT value FROM meta WHERE key = 'version'";
// How many times a request tries to meet the shared snapshot's version
// before it reads its own (see CurrentVersion).
constexpr int kVersionTries = 3;
}  // namespace

// One request's version: the snapshot of a content version, and a read
// transaction (on a reader connection of its own) that holds that same
// content version in SQLite for as long as the request keeps the version. Its
// searches read their candidates and Hits inside it, so they are of the
// snapshot's version whatever is committed meanwhile.
class SearchIndex::Version : public bot::KnowledgeVersion {
 public:
  Version(const SearchIndex* index, std::shared_ptr<const Snapshot> snap, Database::ReaderLease lease, Transaction tx)
      : index_(index), snap_(std::move(snap)), lease_(std::move(lease)), tx_(std::move(tx)) {}
  ~Version() override { tx_.Commit(); }  // a read: nothing is lost if it fails

  const std::shared_ptr<const bot::Lexicon>& lexicon() const override { return snap_->lexicon; }
  Result<std::vector<bot::Hit>> Search(const std::vector<std::string>& terms, size_t limit) const override {
    std::lock_guard<std::mutex> lock(mu_);  // one connection: one search at a time
    return index_->SearchSnapshot(*snap_, lease_.get(), terms, limit);
  }

 private:
  const SearchIndex* index_;
  std::shared_ptr<const Snapshot> snap_;
  mutable std::mutex mu_;
  Database::ReaderLease lease_;
  Transaction tx_;  // ends before the lease goes back to the pool
};

Result<std::shared_ptr<const bot::KnowledgeVersion>> SearchIndex::CurrentVersion() {
  // The snapshot, then a read transaction that must hold its content
  // version: a commit in between (rare; the next CurrentSnapshot loads it)
  // means trying again.
  for (int attempt = 1;; attempt++) {
    ASSIGN_OR_RETURN(std::shared_ptr<const Snapshot> snap, CurrentSnapshot());
    if (before_read_for_testing_) before_read_for_testing_();
    ASSIGN_OR_RETURN(Database::ReaderLease lease, db_->Reader());
    ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(lease.get(), Transaction::Kind::kRead, "begin read"));
    std::string version;
    {
      Stmt v(lease->db, lease->Cached(kVersionSql));
      if (!v.ok()) return SqlError(lease->db, "read version");
      if (v.Step() == SQLITE_ROW) version = v.Text(0);
    }
    if (version == snap->lexicon->version) {
      return std::shared_ptr<const bot::KnowledgeVersion>(
          std::make_shared<const Version>(this, std::move(snap), std::move(lease), std::move(tx)));
    }
    // Curators' edits keep landing between the two (a busy curation run on
    // a slow machine): read this transaction's own version of the index,
    // once, for this request. Never a failed question for it.
    if (attempt >= kVersionTries) {
      ASSIGN_OR_RETURN(snap, LoadSnapshot(lease.get(), version, /*in_transaction=*/true));
      return std::shared_ptr<const bot::KnowledgeVersion>(
          std::make_shared<const Version>(this, std::move(snap), std::move(lease), std::move(tx)));
    }
  }
}

Result<std::shared_ptr<const bot::Lexicon>> SearchIndex::GetLexicon() {
  ASSIGN_OR_RETURN(auto snap, CurrentSnapshot());
  return snap->lexicon;
}

Result<std::vector<bot::Hit>> SearchIndex::Search(const std::vector<std::string>& terms, size_t limit) {
  ASSIGN_OR_RETURN(std::shared_ptr<const bot::KnowledgeVersion> version, CurrentVersion());
  return version->Search(terms, limit);
}

Result<std::vector<bot::Hit>> SearchIndex::SearchSnapshot(const Snapshot& snap, Conn* conn,
                                                          const std::vector<std::string>& terms, size_t limit) const {
  std::vector<bot::Hit> hits;
  if (terms.empty() || limit == 0) return hits;
  // The terms to look up: the rarest first (the caller orders them so),
  // while the candidates they bring stay within kMaxSearchCandidates.
  std::vector<uint32_t> ids;         // the known terms' ids, in the question's order
  std::vector<size_t> term_index;    // where each of `ids` is in `terms`
  std::vector<uint32_t> lookup;      // the ids whose entries are the candidates
  size_t expected = 0;
  for (size_t t = 0; t < terms.size(); t++) {
    auto it = snap.term_ids.find(terms[t]);
    if (it == snap.term_ids.end()) continue;
    ids.push_back(it->second);
    term_index.push_back(t);
    uint32_t df = snap.doc_freq[it->second];
    if (lookup.empty() || expected + df <= kMaxSearchCandidates) {
      lookup.push_back(it->second);
      expected += df;
    }
  }
  if (lookup.empty()) return hits;

  // The distinct query terms in id order, where each of `ids` is among
  // them, and their postings where the snapshot keeps them.
  std::vector<uint32_t> unique_ids = ids;
  std::sort(unique_ids.begin(), unique_ids.end());
  unique_ids.erase(std::unique(unique_ids.begin(), unique_ids.end()), unique_ids.end());
  std::vector<size_t> position(ids.size());
  std::vector<const std::string*> unique_terms(unique_ids.size());
  for (size_t k = 0; k < ids.size(); k++) {
    position[k] = static_cast<size_t>(std::lower_bound(unique_ids.begin(), unique_ids.end(), ids[k]) - unique_ids.begin());
    unique_terms[position[k]] = &terms[term_index[k]];
  }
  std::vector<std::shared_ptr<const Snapshot::Postings>> postings(unique_ids.size());
  for (size_t u = 0; u < unique_ids.size(); u++) postings[u] = snap.CachedPostings(unique_ids[u]);

  // FTS5's answer for one term (`conn` is in the read transaction of the
  // snapshot's content version): the entries holding it, ascending, at most
  // kMaxSearchCandidates.
  auto fts5_docs = [&](const std::string& term, std::vector<uint32_t>* docs) -> Status {
    static const char kMatch[] = "SELECT rowid FROM entries_fts WHERE entries_fts MATCH ?1 LIMIT ?2";
    Stmt s(conn->db, conn->Cached(kMatch));
    if (!s.ok()) return SqlError(conn->db, "prepare search");
    s.Bind(1, Fts5OrQuery({term}));
    s.Bind(2, static_cast<int64_t>(kMaxSearchCandidates));
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) {
      int64_t d = snap.Find(s.Int(0));
      if (d >= 0) docs->push_back(static_cast<uint32_t>(d));
    }
    if (rc != SQLITE_DONE) return SqlError(conn->db, "search");
    return Status::Ok();
  };
  // A rare term's postings, built once from FTS5's answer and the entries'
  // terms, then kept.
  for (size_t u = 0; u < unique_ids.size(); u++) {
    const uint32_t id = unique_ids[u];
    if (postings[u] || snap.doc_freq[id] > Snapshot::kMaxCachedDocs) continue;
    auto built = std::make_shared<Snapshot::Postings>();
    RETURN_IF_ERROR(fts5_docs(*unique_terms[u], &built->docs));
    for (uint32_t d : built->docs) snap.AppendCounts(d, id, &built->counts);
    postings[u] = std::move(built);
    snap.RememberPostings(id, postings[u]);
  }

  // The candidates: the entries holding any looked-up term, ascending, at
  // most kMaxSearchCandidates, what one FTS5 OR query with that LIMIT gives:
  // one term's list stops there, and several terms are looked up only while
  // their entries together stay within it.
  std::vector<uint32_t> candidates;
  for (uint32_t id : lookup) {
    size_t u = static_cast<size_t>(std::lower_bound(unique_ids.begin(), unique_ids.end(), id) - unique_ids.begin());
    if (postings[u]) {
      candidates.insert(candidates.end(), postings[u]->docs.begin(), postings[u]->docs.end());
    } else {
      RETURN_IF_ERROR(fts5_docs(*unique_terms[u], &candidates));
    }
  }
  if (lookup.size() > 1) {
    std::sort(candidates.begin(), candidates.end());
    candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  }

  // BM25F: per term, the field-weighted, length-normalized frequency, added
  // term by term in the question's order (so a score is the same sum
  // whichever way its counts were found).
  constexpr double kK1 = 1.2, kB = 0.75;
  const double weights[4] = {kTitleWeight, kQuestionsWeight, kTagsWeight, kBodyWeight};
  auto term_score = [&](uint32_t c, const std::array<uint16_t, 4>& cnt, double idf) {
    const uint32_t* length = &snap.lengths[static_cast<size_t>(c) * 4];
    double tf = 0;
    for (int f = 0; f < 4; f++) {
      uint16_t count = cnt[f];
      if (count) tf += weights[f] * count / (1.0 - kB + kB * length[f] / snap.avg_length[f]);
    }
    return tf > 0 ? idf * tf * (kK1 + 1) / (tf + kK1) : 0.0;
  };
  // The common terms' counts (no postings kept): from each candidate's terms.
  std::vector<uint32_t> walked;  // unique ids without postings, ascending
  std::vector<size_t> walked_index(unique_ids.size(), SIZE_MAX);
  for (size_t u = 0; u < unique_ids.size(); u++) {
    if (!postings[u]) {
      walked_index[u] = walked.size();
      walked.push_back(unique_ids[u]);
    }
  }
  std::vector<std::array<uint16_t, 4>> walked_counts(walked.empty() ? 0 : candidates.size() * walked.size());
  if (!walked.empty()) {
    for (size_t i = 0; i < candidates.size(); i++) {
      const uint32_t c = candidates[i];
      const uint8_t* p = snap.terms.data() + snap.term_offsets[c];
      const uint8_t* end = snap.terms.data() + snap.term_offsets[c + 1];
      uint32_t term = 0;
      size_t j = 0;
      while (p < end && j < walked.size()) {
        term += GetVarint(&p);
        std::array<uint16_t, 4> cnt = DecodeCounts(&p);
        while (j < walked.size() && walked[j] < term) j++;
        if (j < walked.size() && walked[j] == term) walked_counts[i * walked.size() + j++] = cnt;
      }
    }
  }
  std::vector<double> scores(candidates.size(), 0.0);
  for (size_t k = 0; k < ids.size(); k++) {
    const double idf = bot::Idf(snap.size(), snap.doc_freq[ids[k]]);
    const size_t u = position[k];
    if (postings[u]) {
      // Both lists ascending: step through the candidates alongside.
      const Snapshot::Postings& pl = *postings[u];
      const uint8_t* p = pl.counts.data();
      size_t i = 0;
      for (uint32_t d : pl.docs) {
        std::array<uint16_t, 4> cnt = DecodeCounts(&p);
        while (i < candidates.size() && candidates[i] < d) i++;
        if (i == candidates.size()) break;
        if (candidates[i] == d) scores[i] += term_score(d, cnt, idf);
      }
    } else {
      const size_t w = walked_index[u];
      for (size_t i = 0; i < candidates.size(); i++) {
        scores[i] += term_score(candidates[i], walked_counts[i * walked.size() + w], idf);
      }
    }
  }
  std::vector<std::pair<double, uint32_t>> scored;
  scored.reserve(candidates.size());
  for (size_t i = 0; i < candidates.size(); i++) scored.emplace_back(scores[i], candidates[i]);
  auto better = [&](const std::pair<double, uint32_t>& a, const std::pair<double, uint32_t>& b) {
    if (a.first != b.first) return a.first > b.first;
    return snap.id(a.second) < snap.id(b.second);
  };
  size_t k = std::min(limit, scored.size());
  std::partial_sort(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(k), scored.end(), better);

  // The best candidates' Hits: from the cache, else from SQLite by rowid.
  std::vector<std::shared_ptr<const bot::IndexedEntry>> best(k);
  std::vector<size_t> missing;
  for (size_t i = 0; i < k; i++) {
    best[i] = snap.Cached(scored[i].second);
    if (!best[i]) missing.push_back(i);
  }
  if (!missing.empty()) RETURN_IF_ERROR(ReadHits(conn, snap, scored, missing, &best));
  hits.reserve(k);
  for (size_t i = 0; i < k; i++) hits.push_back({std::move(best[i]), scored[i].first});
  return hits;
}

Status SearchIndex::ReadHits(Conn* conn, const Snapshot& snap, const std::vector<std::pair<double, uint32_t>>& scored,
                       const std::vector<size_t>& missing,
                       std::vector<std::shared_ptr<const bot::IndexedEntry>>* best) const {
  static const char kRow[] =
      "SELECT f.title, f.questions, f.tags, f.body, e.id, e.title, e.body, e.questions, e.tags, e.article, e.section,"
      " e.url, e.updated_at FROM entries e, entries_fts f WHERE e.rowid = ?1 AND f.rowid = ?1";
  sqlite3* db = conn->db;
  for (size_t i : missing) {
    uint32_t d = scored[i].second;
    Stmt row(db, conn->Cached(kRow));
    if (!row.ok()) return SqlError(db, "prepare entry read");
    row.Bind(1, snap.rowids[d]);
    int rc = row.Step();
    if (rc != SQLITE_ROW) {
      // The version matched, so the row is there: anything else is an error.
      return rc == SQLITE_DONE ? Status::Unavailable("the index and the entries disagree; rebuild the knowledge base")
                               : SqlError(db, "read entry");
    }
    auto hit = std::make_shared<bot::IndexedEntry>();
    hit->rowid = snap.rowids[d];
    hit->title_terms = row.Text(0);
    hit->question_terms = SplitOn(row.Text(1), kQuestionSeparator);
    hit->tag_terms = row.Text(2);
    hit->body_terms = row.Text(3);
    hit->entry = ReadEntryAt(row, 4);
    // One string per question, also when a question has no index terms at
    // all ("What is it?"): an empty field splits into nothing.
    hit->question_terms.resize(hit->entry.questions.size());
    hit->title_idf = snap.PhrasingIdf(hit->title_terms);
    for (const auto& q : hit->question_terms) hit->question_idf.push_back(snap.PhrasingIdf(q));
    bot::PrepareTermSets(hit.get(), *snap.lexicon);
    snap.Remember(d, hit);
    (*best)[i] = std::move(hit);
  }
  return Status::Ok();
}

}  // namespace knowledge
