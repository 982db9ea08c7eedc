// The router (adapters/http/router.h) on its own, and the whole server's
// routing through ServeBytes (head check, guard, router, no socket): every
// route registered once, paths that are literal text and "{name}" segments
// (never regular expressions), 405 with Allow against 404, a scope's step
// (the admin token) before its routes, and hostile paths: regex
// metacharacters, encoded slashes, dot segments, very long paths, empty
// segments, HEAD and OPTIONS, with and without the admin token.
#include "adapters/http/router.h"

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "../helpers/server.h"
#include "adapters/http/reply.h"
#include "bot/status.h"

namespace {

using adapters::http::PathParams;
using adapters::http::Router;
using nlohmann::json;

// Routes `method` `path` through `router` and returns the response.
httplib::Response Route(const Router& router, const std::string& method, const std::string& path) {
  httplib::Request req;
  req.method = method;
  req.path = path;
  httplib::Response res;
  router.Handle(req, res);
  return res;
}

// A router with a few routes whose handlers say which one answered (and its
// path parameters) in the body.
Router Sample() {
  Router r;
  auto says = [](std::string name) {
    return [name](const httplib::Request&, httplib::Response& res, const PathParams& p) {
      std::string body = name;
      for (const auto& x : p) body += "|" + x;
      res.set_content(body, "text/plain");
    };
  };
  r.Add({"GET", "/", "web", "root"}, says("root"));
  r.Add({"GET", "/app.css", "web", "style"}, says("css"));
  r.Add({"POST", "/v1/ask", "api", "ask"}, says("ask"));
  r.Add({"GET", "/items/{id}", "api", "one"}, says("get-item"));
  r.Add({"PUT", "/items/{id}", "api", "replace"}, says("put-item"));
  r.Add({"DELETE", "/items/{id}", "api", "delete"}, says("delete-item"));
  r.Add({"GET", "/items/{id}/parts/{part}", "api", "part"}, says("part"));
  r.Add({"GET", "/page", "web", "page", /*trailing_slash=*/true}, says("page"));
  return r;
}

// One response of ServeBytes: status, headers, body.
struct Parsed {
  int status = 0;
  std::multimap<std::string, std::string> headers;
  std::string body;
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
  json Json() const { return json::parse(body, nullptr, false); }
};

Parsed ParseOne(const std::string& raw) {
  Parsed p;
  size_t head_end = raw.find("\r\n\r\n");
  REQUIRE(head_end != std::string::npos);
  REQUIRE(raw.rfind("HTTP/1.1 ", 0) == 0);
  p.status = std::stoi(raw.substr(9, 3));
  size_t line = raw.find("\r\n") + 2;
  while (line < head_end) {
    size_t end = raw.find("\r\n", line);
    std::string h = raw.substr(line, end - line);
    size_t colon = h.find(':');
    p.headers.emplace(h.substr(0, colon), h.substr(colon + 2));
    line = end + 2;
  }
  p.body = raw.substr(head_end + 4);
  return p;
}

std::string Request(const std::string& method, const std::string& target, const std::string& extra = "",
                    const std::string& body = "") {
  std::string r = method + " " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + extra;
  if (!body.empty()) r += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  return r + "\r\n" + body;
}

std::string Bearer() { return std::string("Authorization: Bearer ") + testing_helpers::AllRoutes::kAdminToken + "\r\n"; }

}  // namespace

TEST_CASE("a route is registered once: malformed paths and duplicates are refused", "[adapters][router]") {
  Router r;
  r.Add({"GET", "/a/{id}", "api", "a"}, [](const httplib::Request&, httplib::Response&) {});
  CHECK_THROWS_AS(r.Add({"GET", "/a/{id}", "api", "again"}, [](const httplib::Request&, httplib::Response&) {}),
                  std::invalid_argument);
  for (const char* bad : {"", "a", "/a/{", "/a/{}", "/a/{id", "/a/x{id}", "/a/{i}d}", "/a/{i{d}"}) {
    INFO(bad);
    CHECK_THROWS_AS(r.Add({"GET", bad, "api", "bad"}, [](const httplib::Request&, httplib::Response&) {}),
                    std::invalid_argument);
  }
  // Another method on the same path is another route.
  r.Add({"PUT", "/a/{id}", "api", "a"}, [](const httplib::Request&, httplib::Response&) {});
  REQUIRE(r.routes().size() == 2);
  CHECK(r.routes()[0].method == "GET");
  CHECK(r.routes()[1].method == "PUT");
  CHECK(r.routes()[1].summary == "a");
}

TEST_CASE("paths are literal text: regex metacharacters match only themselves", "[adapters][router]") {
  Router r;
  int hits = 0;
  auto count = [&hits](const httplib::Request&, httplib::Response&) { hits++; };
  r.Add({"GET", "/app.css", "web", "css"}, count);
  r.Add({"GET", "/a+b", "web", "plus"}, count);
  r.Add({"GET", "/x(y)?", "web", "group"}, count);
  r.Add({"GET", "/.*", "web", "star"}, count);
  CHECK(Route(r, "GET", "/app.css").status == 200);
  CHECK(Route(r, "GET", "/a+b").status == 200);
  CHECK(Route(r, "GET", "/x(y)?").status == 200);
  CHECK(Route(r, "GET", "/.*").status == 200);
  CHECK(hits == 4);
  for (const char* other : {"/appXcss", "/app-css", "/aab", "/ab", "/x", "/xy", "/anything", "/", "/app.cs",
                            "/app.css.map", "/app.cssx", "/.", "/a+bb"}) {
    INFO(other);
    CHECK(Route(r, "GET", other).status == 404);
  }
  CHECK(hits == 4);
}

TEST_CASE("a {name} segment matches one non-empty segment and is handed to the handler", "[adapters][router]") {
  Router r = Sample();
  CHECK(Route(r, "GET", "/items/42").body == "get-item|42");
  CHECK(Route(r, "PUT", "/items/a.b").body == "put-item|a.b");
  CHECK(Route(r, "GET", "/items/x/parts/y").body == "part|x|y");
  // Regex-looking ids are plain text.
  CHECK(Route(r, "GET", "/items/.*").body == "get-item|.*");
  CHECK(Route(r, "GET", "/items/(a|b)").body == "get-item|(a|b)");
  for (const char* miss : {"/items", "/items/", "/items//", "/items/a/b", "/items/a/", "/items/x/parts",
                           "/items/x/parts/", "/items/x/parts/y/z", "//items/1", "/items/x//parts/y", "items/1",
                           "/Items/1", "/items/x/partsy/z", ""}) {
    INFO("[" << miss << "]");
    auto res = Route(r, "GET", miss);
    CHECK(res.status == 404);
    CHECK(res.body.empty());
  }
}

TEST_CASE("a known path with another method is 405 with a sorted Allow; HEAD is GET", "[adapters][router]") {
  Router r = Sample();
  auto res = Route(r, "POST", "/items/7");
  CHECK(res.status == 405);
  CHECK(res.get_header_value("Allow") == "DELETE, GET, PUT");
  CHECK(res.body.empty());  // the error handler writes it
  CHECK(Route(r, "GET", "/v1/ask").get_header_value("Allow") == "POST");
  CHECK(Route(r, "HEAD", "/v1/ask").status == 405);
  CHECK(Route(r, "OPTIONS", "/app.css").get_header_value("Allow") == "GET");
  // A method nobody registers is 405 on a known path, 404 elsewhere.
  CHECK(Route(r, "BREW", "/items/7").status == 405);
  CHECK(Route(r, "BREW", "/nowhere").status == 404);
  CHECK(Route(r, "", "/items/7").status == 405);
  // HEAD is served by the GET route.
  CHECK(Route(r, "HEAD", "/items/7").body == "get-item|7");
  CHECK(Route(r, "HEAD", "/").status == 200);
  // Methods are case-sensitive (RFC 9110).
  CHECK(Route(r, "get", "/").status == 405);
}

TEST_CASE("a trailing-slash route answers both forms and nothing longer", "[adapters][router]") {
  Router r = Sample();
  CHECK(Route(r, "GET", "/page").body == "page");
  CHECK(Route(r, "GET", "/page/").body == "page");
  CHECK(Route(r, "GET", "/page//").status == 404);
  CHECK(Route(r, "GET", "/page/x").status == 404);
  CHECK(Route(r, "GET", "/pagex").status == 404);
  CHECK(Route(r, "POST", "/page/").get_header_value("Allow") == "GET");
  // Other routes do not take a trailing slash.
  CHECK(Route(r, "POST", "/v1/ask/").status == 404);
}

TEST_CASE("a scope's step runs for every path under it whether or not a route matches", "[adapters][router]") {
  Router r = Sample();
  std::vector<std::string> seen;
  r.AddScope("/items", [&seen](const httplib::Request& req, httplib::Response& res,
                               const std::function<void()>& route) {
    seen.push_back(req.method + " " + req.path);
    if (req.get_header_value("X-Key") != "k") {
      res.status = 401;
      return;
    }
    route();
    res.set_header("X-Scoped", "1");
  });
  CHECK(Route(r, "GET", "/items/1").status == 401);
  CHECK(Route(r, "GET", "/items/1/nothing").status == 401);
  CHECK(Route(r, "PATCH", "/items/1").status == 401);
  CHECK(Route(r, "GET", "/items").status == 401);
  CHECK(seen.size() == 4);
  // Not under the scope: "/itemsx", "/item", "/".
  CHECK(Route(r, "GET", "/itemsx").status == 404);
  CHECK(Route(r, "GET", "/").status == 200);
  CHECK(seen.size() == 4);
  httplib::Request req;
  req.method = "PATCH";
  req.path = "/items/1";
  req.headers.emplace("X-Key", "k");
  httplib::Response res;
  r.Handle(req, res);
  CHECK(res.status == 405);
  CHECK(res.get_header_value("X-Scoped") == "1");
  CHECK(res.get_header_value("Allow") == "DELETE, GET, PUT");
}

TEST_CASE("route labels are the matching route's pattern or other, never the raw path", "[adapters][router]") {
  Router r = Sample();
  CHECK(r.Label("/items/secret-token-123") == "/items/{id}");
  CHECK(r.Label("/items/a/parts/b") == "/items/{id}/parts/{part}");
  CHECK(r.Label("/page/") == "/page");
  CHECK(r.Label("/v1/ask/") == "/v1/ask");
  CHECK(r.Label("/") == "/");
  CHECK(r.Label("/app.cssX") == "other");
  CHECK(r.Label(std::string(100000, '/')) == "other");
  CHECK(r.Label("") == "other");
}

TEST_CASE("the server's routes are each registered once with a summary", "[adapters][router]") {
  testing_helpers::AllRoutes all;
  std::map<std::string, int> count;
  for (const auto& route : all.routes()) {
    INFO(route.method << " " << route.path);
    CHECK(++count[route.method + " " + route.path] == 1);
    CHECK(!route.summary.empty());
    CHECK(!route.adapter.empty());
    CHECK(route.path.find_first_of("\\^$|?*+()[]") == std::string::npos);
  }
  CHECK(count.count("GET /v1/admin/entries/{id}") == 1);
  CHECK(count.count("POST /v1/ask") == 1);
  // Without the admin token the admin routes are not registered at all.
  testing_helpers::AllRoutes off("");
  for (const auto& route : off.routes()) CHECK(route.adapter != "admin");
  CHECK(off.routes().size() + 17 == all.routes().size());
}

TEST_CASE("hostile paths through the whole server: 404 and 405 as JSON, admin gated first", "[adapters][router]") {
  testing_helpers::AllRoutes all;

  SECTION("regex metacharacters in the path are not patterns") {
    for (const char* path : {"/openapiXjson", "/appXcss", "/admin/adminXcss", "/admin/admin.cssx", "/.*", "/(.*)",
                             "/app.css/..", "/%2E%2A"}) {
      INFO(path);
      Parsed res = ParseOne(all.ServeBytes(Request("GET", path)));
      CHECK(res.status == 404);
      CHECK(res.Json()["error"]["code"] == "not_found");
    }
    CHECK(ParseOne(all.ServeBytes(Request("GET", "/openapi.json"))).status == 200);
  }

  SECTION("405 names the allowed methods; the 404 and 405 bodies are the server's JSON") {
    Parsed res = ParseOne(all.ServeBytes(Request("GET", "/v1/ask")));
    CHECK(res.status == 405);
    CHECK(res.Header("Allow") == "POST");
    CHECK(res.Json()["error"]["code"] == "method_not_allowed");
    CHECK(res.Json()["error"]["message"] == "GET is not allowed on /v1/ask");
    Parsed head = ParseOne(all.ServeBytes(Request("HEAD", "/v1/ask")));
    CHECK(head.status == 405);
    CHECK(head.body.empty());
    Parsed missing = ParseOne(all.ServeBytes(Request("DELETE", "/nowhere")));
    CHECK(missing.status == 404);
    CHECK(missing.Json()["error"]["message"] == "no route for DELETE /nowhere");
    // Unknown methods are refused before routing, on any path.
    Parsed brew = ParseOne(all.ServeBytes(Request("BREW", "/v1/ask")));
    CHECK(brew.status == 405);
    CHECK(brew.Header("Allow") == "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
  }

  SECTION("the admin API: the token before anything, then 405 with Allow or 404, all no-store") {
    for (const char* method : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}) {
      for (const char* path : {"/v1/admin", "/v1/admin/", "/v1/admin/entries", "/v1/admin/entries/x",
                               "/v1/admin/nothing", "/v1/admin/entries/a%2Fb", "/v1/admin/.*"}) {
        INFO(method << " " << path);
        Parsed res = ParseOne(all.ServeBytes(Request(method, path)));
        CHECK(res.status == 401);
        CHECK(res.Header("WWW-Authenticate") == "Bearer realm=\"careerbot admin\"");
        CHECK(res.Header("Cache-Control") == "no-store");
      }
    }
    Parsed entries = ParseOne(all.ServeBytes(Request("OPTIONS", "/v1/admin/entries", Bearer())));
    CHECK(entries.status == 405);
    CHECK(entries.Header("Allow") == "GET, POST");
    CHECK(entries.Header("Cache-Control") == "no-store");
    CHECK(entries.Json()["error"]["message"] == "OPTIONS is not allowed on /v1/admin/entries");
    Parsed one = ParseOne(all.ServeBytes(Request("POST", "/v1/admin/entries/us-backend-salary", Bearer())));
    CHECK(one.status == 405);
    CHECK(one.Header("Allow") == "DELETE, GET, PATCH, PUT");
    // An encoded slash is a slash once decoded: no entry route has three segments there.
    Parsed slash = ParseOne(all.ServeBytes(Request("GET", "/v1/admin/entries/a%2Fb", Bearer())));
    CHECK(slash.status == 404);
    CHECK(slash.Json()["error"]["message"] == "no route for GET /v1/admin/entries/a/b");
    CHECK(slash.Header("Cache-Control") == "no-store");
    // Dot segments and regex text are ids that cannot be: 404 naming the id.
    for (const char* id : {"..", ".*", "(a)", "A", "%2E%2E"}) {
      INFO(id);
      Parsed res = ParseOne(all.ServeBytes(Request("GET", std::string("/v1/admin/entries/") + id, Bearer())));
      CHECK(res.status == 404);
      CHECK(res.Json()["error"]["code"] == "not_found");
    }
    Parsed none = ParseOne(all.ServeBytes(Request("GET", "/v1/admin", Bearer())));
    CHECK(none.status == 404);
    CHECK(ParseOne(all.ServeBytes(Request("GET", "/v1/adminx"))).status == 404);  // not under /v1/admin
  }

  SECTION("HEAD on admin routes is GET without a body") {
    Parsed get = ParseOne(all.ServeBytes(Request("GET", "/v1/admin/entries/us-backend-salary", Bearer())));
    Parsed head = ParseOne(all.ServeBytes(Request("HEAD", "/v1/admin/entries/us-backend-salary", Bearer())));
    REQUIRE(get.status == 200);
    CHECK(head.status == 200);
    CHECK(head.body.empty());
    CHECK(head.Header("ETag") == get.Header("ETag"));
    CHECK(head.Header("Content-Length") == get.Header("Content-Length"));
    CHECK(ParseOne(all.ServeBytes(Request("HEAD", "/admin"))).status == 200);
    CHECK(ParseOne(all.ServeBytes(Request("HEAD", "/admin/"))).status == 200);
  }

  SECTION("the admin page: GET only, with or without its trailing slash") {
    for (const char* method : {"POST", "PUT", "PATCH", "DELETE", "OPTIONS"}) {
      INFO(method);
      Parsed res = ParseOne(all.ServeBytes(Request(method, "/admin/")));
      CHECK(res.status == 405);
      CHECK(res.Header("Allow") == "GET");
    }
    CHECK(ParseOne(all.ServeBytes(Request("GET", "/admin//"))).status == 404);
    CHECK(ParseOne(all.ServeBytes(Request("GET", "/admin/admin.css/"))).status == 404);
  }

  SECTION("very long paths: 404 below the request-line limit, 414 above it") {
    std::string long_id(7000, 'a');
    Parsed res = ParseOne(all.ServeBytes(Request("GET", "/v1/admin/entries/" + long_id, Bearer())));
    CHECK(res.status == 404);
    CHECK(res.Json()["error"]["code"] == "not_found");
    std::string slashes(7000, '/');
    CHECK(ParseOne(all.ServeBytes(Request("GET", slashes))).status == 404);
    CHECK(ParseOne(all.ServeBytes(Request("GET", "/" + std::string(9000, 'x')))).status == 414);
  }
}

TEST_CASE("without the admin token every admin path is a plain 404, whatever the method", "[adapters][router]") {
  testing_helpers::AllRoutes off("");
  for (const char* method : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}) {
    for (const char* path : {"/admin", "/admin/", "/admin/admin.js", "/v1/admin", "/v1/admin/entries",
                             "/v1/admin/entries/x"}) {
      INFO(method << " " << path);
      Parsed res = ParseOne(off.ServeBytes(Request(method, path, Bearer())));
      CHECK(res.status == 404);
      CHECK(res.Header("Allow").empty());
    }
  }
}

TEST_CASE("one mapping from Status to HTTP: the JSON API's defaults and the admin API's style", "[adapters][reply]") {
  using adapters::http::HttpErrorFor;
  using adapters::http::StatusStyle;
  using Code = bot::Status::Code;
  struct Want {
    Code code;
    int status;
    const char* name;
  };
  for (const Want& w : {Want{Code::kOk, 200, "ok"}, Want{Code::kInvalidArgument, 400, "invalid_argument"},
                        Want{Code::kNotFound, 404, "not_found"}, Want{Code::kAlreadyExists, 409, "already_exists"},
                        Want{Code::kUnavailable, 503, "unavailable"}, Want{Code::kInternal, 500, "internal"},
                        Want{static_cast<Code>(99), 500, "internal"}}) {
    INFO(w.name);
    auto e = HttpErrorFor(w.code);
    CHECK(e.status == w.status);
    CHECK(e.code == w.name);
    CHECK(e.field.empty());
  }
  StatusStyle admin;
  admin.invalid_status = 422;
  admin.invalid_code = "invalid_entry";
  admin.invalid_field = "title";
  admin.exists_code = "conflict";
  admin.exists_field = "id";
  auto invalid = HttpErrorFor(Code::kInvalidArgument, admin);
  CHECK((invalid.status == 422 && invalid.code == "invalid_entry" && invalid.field == "title"));
  auto exists = HttpErrorFor(Code::kAlreadyExists, admin);
  CHECK((exists.status == 409 && exists.code == "conflict" && exists.field == "id"));
  admin.conditional = true;
  auto stale = HttpErrorFor(Code::kAlreadyExists, admin);
  CHECK((stale.status == 412 && stale.code == "precondition_failed" && stale.field.empty()));
  // The style renames only what it names.
  CHECK(HttpErrorFor(Code::kNotFound, admin).status == 404);
  CHECK(HttpErrorFor(Code::kUnavailable, admin).code == "unavailable");
  // SendStatus writes the JSON error with the message and the field.
  httplib::Response res;
  adapters::http::SendStatus(res, bot::Status::InvalidArgument("title: is empty"), admin);
  CHECK(res.status == 422);
  json body = json::parse(res.body);
  CHECK(body["error"]["code"] == "invalid_entry");
  CHECK(body["error"]["message"] == "title: is empty");
  CHECK(body["error"]["field"] == "title");
  httplib::Response plain;
  adapters::http::SendStatus(plain, bot::Status::Unavailable("down"));
  CHECK(plain.status == 503);
  CHECK(json::parse(plain.body)["error"].contains("field") == false);
}
