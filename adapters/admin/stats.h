// The curators' trends over the admin API: GET /v1/admin/stats (the question
// log's counts per day, JSON or CSV: app/trends.h) and
// GET /v1/admin/entries/{id}/stats (an entry's questions per week, and before
// and after each of its recorded changes). AdminApi calls these once the
// token is checked, with the knowledge base the request holds. Counts and
// entry ids only: no question text. Thread-safe.
#pragma once

#include <string>

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace adapters {
class Service;
}
namespace knowledge {
class Store;
}

namespace adapters::admin {

// GET /v1/admin/stats?days=N&bucket=day[&channel=X][&open_gaps=1][&format=json|csv][&table=days|top_asked|worst_feedback]
// days: 1 to 366 (default 30); bucket: day only; open_gaps=1 also counts
// the gaps open (FindGaps: seconds over a million logged lines, where the
// counts take a fraction of one); CSV also for "Accept: text/csv". A bad
// parameter is a JSON 400 naming it.
void ServeStats(Service& service, const httplib::Request& req, httplib::Response& res);

// GET /v1/admin/entries/{id}/stats?weeks=N (1 to 104, default 12): 404 for
// an entry that neither exists nor ever did. `store` is the knowledge base
// the entry is looked up in (its history).
void ServeEntryStats(Service& service, knowledge::Store& store, const std::string& entry_id, const httplib::Request& req,
                     httplib::Response& res);

}  // namespace adapters::admin
