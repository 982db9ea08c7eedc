#include "adapters/http/router.h"
#include "adapters/web/web.h"

#include <array>
#include <cstring>

#include <httplib.h>

#include "embedded.h"

namespace careerbot {
extern const EmbeddedFile kWebFiles[];
}

namespace adapters::web {
namespace {

// The embedded file named `name` (relative to adapters/web/static), or an
// empty string. The files are compiled in, so a missing one is a build bug;
// the page then shows nothing rather than the server failing.
std::string Embedded(const char* name) {
  for (const careerbot::EmbeddedFile* f = careerbot::kWebFiles; f->path; f++) {
    if (std::strcmp(f->path, name) == 0) return std::string(reinterpret_cast<const char*>(f->data), f->size);
  }
  return "";
}

// Built once on first use; read-only afterwards.
const std::array<Page, 3>& Pages() {
  static const std::array<Page, 3> pages = {
      Page{"/", "text/html; charset=utf-8", Embedded("index.html"), "The web chat page"},
      Page{"/app.css", "text/css; charset=utf-8", Embedded("app.css"), "Its style sheet"},
      Page{"/app.js", "text/javascript; charset=utf-8", Embedded("app.js"), "Its script"},
  };
  return pages;
}

}  // namespace

const Page* FindPage(const std::string& url_path) {
  for (const Page& p : Pages()) {
    if (url_path == p.url_path) return &p;
  }
  return nullptr;
}

void SendPage(httplib::Response& res, const Page& page) {
  res.set_header("Content-Security-Policy", kContentSecurityPolicy);
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Referrer-Policy", "no-referrer");
  // The page changes with the binary; let the browser check each time.
  res.set_header("Cache-Control", "no-cache");
  res.set_content(page.body, page.content_type);
}

void RegisterWebRoutes(http::Router& server) {
  for (const Page& p : Pages()) {
    // Anything else falls through to the JSON 404.
    server.Add({"GET", p.url_path, "web", p.summary},
               [&p](const httplib::Request&, httplib::Response& res) { SendPage(res, p); });
  }
}

}  // namespace adapters::web
