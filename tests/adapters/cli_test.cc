// The real careerbot binary, run in a temporary directory with --db inside it.
#include <sys/wait.h>

#include <cstdlib>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "../helpers/cli.h"
#include "../helpers/files.h"
#include "bot/entry.h"

namespace {

using nlohmann::json;
using testing_helpers::TempDir;

using testing_helpers::Quote;
using testing_helpers::Run;
using testing_helpers::Careerbot;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

size_t CountNewlines(const std::string& s) {
  size_t n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

// "built /x/kb.db: 137 entries, version kb-0123" -> "kb-0123"
std::string VersionIn(const std::string& out) {
  size_t p = out.find("version ");
  if (p == std::string::npos) return "";
  size_t end = out.find_first_of(" \n", p + 8);
  return out.substr(p + 8, end == std::string::npos ? std::string::npos : end - p - 8);
}

}  // namespace

TEST_CASE("careerbot --help lists the commands", "[adapters][cli]") {
  TempDir dir;
  Run r = Careerbot(dir, "--help");
  CHECK(r.exit_code == 0);
  for (const char* command : {"serve", "ask", "eval", "kb build", "kb import", "kb test", "kb list"}) {
    INFO(command);
    CHECK(r.out.find(command) != std::string::npos);
  }
  CHECK(r.err.empty());
  for (const char* command : {"serve --help", "ask --help", "eval --help", "kb build --help", "kb import --help",
                              "kb test --help", "kb list --help"}) {
    INFO(command);
    Run h = Careerbot(dir, command);
    CHECK(h.exit_code == 0);
    CHECK(h.out.find("usage: careerbot") != std::string::npos);
  }
}

TEST_CASE("an unknown command or flag exits 2 with a one-line message", "[adapters][cli]") {
  TempDir dir;
  SECTION("unknown command") {
    Run r = Careerbot(dir, "frobnicate");
    CHECK(r.exit_code == 2);
    CHECK(CountNewlines(r.err) == 1);
    CHECK(r.err.find("frobnicate") != std::string::npos);
    CHECK(r.out.empty());
  }
  SECTION("unknown kb command") {
    Run r = Careerbot(dir, "kb frobnicate");
    CHECK(r.exit_code == 2);
    CHECK(CountNewlines(r.err) == 1);
    CHECK(r.err.find("frobnicate") != std::string::npos);
  }
  for (const char* args : {"ask --frobnicate \"What is a backend developer?\"", "serve --frobnicate",
                           "eval --frobnicate x.jsonl", "kb build --frobnicate", "kb test --frobnicate",
                           "kb import --frobnicate x.txt"}) {
    SECTION(args) {
      Run r = Careerbot(dir, args);
      CHECK(r.exit_code == 2);
      CHECK(CountNewlines(r.err) == 1);
      CHECK(r.err.find("--frobnicate") != std::string::npos);
      CHECK(r.out.empty());
    }
  }
  SECTION("a flag without its value") {
    Run r = Careerbot(dir, "ask --db");
    CHECK(r.exit_code == 2);
    CHECK(CountNewlines(r.err) == 1);
  }
  SECTION("no command at all") {
    Run r = Careerbot(dir, "");
    CHECK(r.exit_code == 2);
  }
  // Nothing was built by a usage error.
  CHECK_FALSE(std::filesystem::exists(dir.File("default.db")));
}

TEST_CASE("ask --json prints the /v1/ask object", "[adapters][cli]") {
  TempDir dir;
  const std::string db = Quote(dir.File("kb.db"));
  Run r = Careerbot(dir, "ask --db " + db + " --json " + Quote("What is a backend developer?"));
  INFO("stderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  REQUIRE(Lines(r.out).size() == 1);
  json j = json::parse(r.out, nullptr, false);
  REQUIRE_FALSE(j.is_discarded());
  REQUIRE(j.is_object());
  CHECK(j["answer"].is_string());
  CHECK_FALSE(j["answer"].get<std::string>().empty());
  CHECK(j["answered"] == true);
  CHECK(j["kind"] == "kb");
  REQUIRE(j["confidence"].is_number());
  CHECK(j["confidence"].get<double>() >= 0.5);
  CHECK(j["confidence"].get<double>() <= 1.0);
  CHECK(j["answer_id"].is_string());
  CHECK(j["conversation_id"].is_string());
  REQUIRE(j["sources"].is_array());
  REQUIRE(j["sources"].size() == 1);
  for (const char* f : {"id", "title", "article", "section"}) CHECK(j["sources"][0][f].is_string());
  CHECK(j["sources"][0]["score"].is_number());
  REQUIRE(j["suggestions"].is_array());
  CHECK(j["suggestions"].size() <= 3);
  CHECK_FALSE(j.contains("explain"));
  // The knowledge base was built where --db said.
  CHECK(std::filesystem::exists(dir.File("kb.db")));
  CHECK_FALSE(std::filesystem::exists(dir.File("default.db")));

  SECTION("--explain adds the explanation") {
    Run e = Careerbot(dir, "ask --db " + db + " --json --explain " + Quote("pyhton or java for backend?"));
    REQUIRE(e.exit_code == 0);
    json k = json::parse(e.out, nullptr, false);
    REQUIRE_FALSE(k.is_discarded());
    REQUIRE(k.contains("explain"));
    CHECK(k["explain"]["query_terms"].is_array());
    CHECK(k["explain"]["corrected"].is_array());
    CHECK_FALSE(k["explain"]["corrected"].empty());
  }
  SECTION("small talk and declines") {
    json hi = json::parse(Careerbot(dir, "ask --db " + db + " --json hi").out, nullptr, false);
    REQUIRE_FALSE(hi.is_discarded());
    CHECK(hi["kind"] == "smalltalk");
    json no = json::parse(Careerbot(dir, "ask --db " + db + " --json " + Quote("What is the capital of France?")).out,
                          nullptr, false);
    REQUIRE_FALSE(no.is_discarded());
    CHECK(no["kind"] == "fallback");
    CHECK(no["answered"] == false);
  }
  SECTION("an empty question fails") {
    Run empty = Careerbot(dir, "ask --db " + db + " --json " + Quote("   "));
    CHECK(empty.exit_code == 1);
    json k = json::parse(empty.out, nullptr, false);
    REQUIRE_FALSE(k.is_discarded());
    CHECK(k["error"]["code"] == "invalid_argument");
  }
  SECTION("plain text output names the source") {
    Run t = Careerbot(dir, "ask --db " + db + " " + Quote("What is a backend developer?"));
    REQUIRE(t.exit_code == 0);
    CHECK(t.out.find("Source: ") != std::string::npos);
    CHECK(t.out.find("[kb, confidence") != std::string::npos);
  }
}

TEST_CASE("kb build is deterministic", "[adapters][cli]") {
  TempDir dir;
  const std::string db = Quote(dir.File("kb.db"));
  Run first = Careerbot(dir, "kb build --db " + db);
  Run second = Careerbot(dir, "kb build --db " + db);
  INFO("stderr: " << first.err);
  REQUIRE(first.exit_code == 0);
  REQUIRE(second.exit_code == 0);
  CHECK(first.out == second.out);
  CHECK(Lines(first.out) == Lines(second.out));
  CHECK(first.err.empty());
  const std::string version = VersionIn(first.out);
  CHECK(version.rfind("kb-", 0) == 0);
  CHECK(version.size() == 3 + 16);
  // Another file from the same knowledge has the same version.
  Run other = Careerbot(dir, "kb build --db " + Quote(dir.File("other.db")));
  REQUIRE(other.exit_code == 0);
  CHECK(VersionIn(other.out) == version);
  // kb list shows the entries.
  Run list = Careerbot(dir, "kb list --db " + db);
  REQUIRE(list.exit_code == 0);
  CHECK(list.out.find("what-is-backend-development") != std::string::npos);
  Run show = Careerbot(dir, "kb show --db " + db + " what-is-backend-development");
  CHECK(show.exit_code == 0);
  CHECK(show.out.find("id: what-is-backend-development") != std::string::npos);
  Run missing = Careerbot(dir, "kb show --db " + db + " no-such-entry");
  CHECK(missing.exit_code == 1);
}

TEST_CASE("kb import adds the sections of the source article", "[adapters][cli]") {
  TempDir dir;
  const std::string db = Quote(dir.File("kb.db"));
  REQUIRE(Careerbot(dir, "kb build --db " + db).exit_code == 0);
  const std::string before = Careerbot(dir, "kb list --db " + db).out;
  const size_t entries_before = Lines(before).size();
  const std::string article = testing_helpers::SourceArticlePath();
  Run r = Careerbot(dir, "kb import --db " + db + " " + Quote(article));
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find(": 6 sections") != std::string::npos);
  CHECK(r.out.find("6 added, 0 changed, 0 unchanged") != std::string::npos);
  Run list = Careerbot(dir, "kb list --db " + db);
  REQUIRE(list.exit_code == 0);
  CHECK(Lines(list.out).size() == entries_before + 6);
  // Ids are slugs of the article title and the section, capped at 80 characters.
  for (const char* section : {"Introduction", "The Importance of Backend Development",
                              "Factors Driving the Demand for Backend Developers",
                              "Skills and Expertise for Backend Developers",
                              "Career Opportunities and Growth Prospects", "Conclusion"}) {
    const std::string id = bot::Slugify(std::string("The demand for backend developers ") + section);
    INFO(id);
    CHECK(list.out.find(id + " ") != std::string::npos);
  }
  // Importing again changes nothing.
  Run again = Careerbot(dir, "kb import --db " + db + " " + Quote(article));
  REQUIRE(again.exit_code == 0);
  CHECK(again.out.find("0 added, 0 changed, 6 unchanged") != std::string::npos);
  // An unknown file type or a missing file fails.
  REQUIRE(testing_helpers::WriteWholeFile(dir.File("x.pdf"), "%PDF"));
  CHECK(Careerbot(dir, "kb import --db " + db + " " + Quote(dir.File("x.pdf"))).exit_code == 1);
  CHECK(Careerbot(dir, "kb import --db " + db + " " + Quote(dir.File("missing.txt"))).exit_code == 1);
}

TEST_CASE("eval prints the three accuracies", "[adapters][cli]") {
  TempDir dir;
  const std::string db = Quote(dir.File("kb.db"));
  const std::string cases =
      "{\"id\": \"a1\", \"q\": \"What is a backend developer?\", \"expect\": \"answer\", \"facts\": [[\"server\"]]}\n"
      "{\"id\": \"a2\", \"q\": \"How much do backend developers earn?\", \"expect\": \"answer\"}\n"
      "\n"
      "{\"id\": \"d1\", \"q\": \"What is the capital of France?\", \"expect\": \"decline\"}\n"
      "{\"id\": \"s1\", \"q\": \"hello\", \"expect\": \"smalltalk\"}\n";
  REQUIRE(testing_helpers::WriteWholeFile(dir.File("cases.jsonl"), cases));
  Run r = Careerbot(dir, "eval --db " + db + " " + Quote(dir.File("cases.jsonl")));
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("answerable  1.000  (2/2)") != std::string::npos);
  CHECK(r.out.find("decline     1.000  (1/1)") != std::string::npos);
  CHECK(r.out.find("smalltalk   1.000  (1/1)") != std::string::npos);

  SECTION("--json") {
    Run j = Careerbot(dir, "eval --db " + db + " --json " + Quote(dir.File("cases.jsonl")));
    REQUIRE(j.exit_code == 0);
    json report = json::parse(j.out, nullptr, false);
    REQUIRE_FALSE(report.is_discarded());
    CHECK(report["answerable"]["accuracy"] == 1.0);
    CHECK(report["answerable"]["total"] == 2);
    CHECK(report["decline"]["accuracy"] == 1.0);
    CHECK(report["smalltalk"]["accuracy"] == 1.0);
    CHECK(report["failures"].empty());
  }
  SECTION("a failing case is listed and a gate fails") {
    REQUIRE(testing_helpers::WriteWholeFile(
        dir.File("bad.jsonl"),
        "{\"id\": \"x1\", \"q\": \"What is a backend developer?\", \"expect\": \"decline\"}\n"));
    Run bad = Careerbot(dir, "eval --db " + db + " --min-decline 1.0 " + Quote(dir.File("bad.jsonl")));
    CHECK(bad.exit_code == 1);
    CHECK(bad.out.find("decline     0.000  (0/1)") != std::string::npos);
    CHECK(bad.out.find("[x1]") != std::string::npos);
  }
  SECTION("--sweep and --sweep-clarify score every setting from 0.20 by 0.02") {
    Run sweep = Careerbot(dir, "eval --db " + db + " --json --sweep " + Quote(dir.File("cases.jsonl")));
    REQUIRE(sweep.exit_code == 0);
    json rows = json::parse(sweep.out, nullptr, false)["sweep"];
    REQUIRE(rows.size() == 31);  // 0.20 .. 0.80
    CHECK(rows.front()["threshold"].get<double>() == Approx(0.20));
    CHECK(rows.back()["threshold"].get<double>() == Approx(0.80));
    // A lower threshold never answers fewer; the off-topic question declines at all of them.
    for (size_t i = 1; i < rows.size(); i++) {
      CHECK(rows[i]["threshold"].get<double>() == Approx(rows[i - 1]["threshold"].get<double>() + 0.02));
      CHECK(rows[i]["answerable"].get<double>() <= rows[i - 1]["answerable"].get<double>());
      CHECK(rows[i]["decline"].get<double>() == 1.0);
    }
    CHECK(rows.front()["answerable"].get<double>() == 1.0);

    Run clarify =
        Careerbot(dir, "eval --db " + db + " --json --sweep-clarify --threshold 0.5 " + Quote(dir.File("cases.jsonl")));
    REQUIRE(clarify.exit_code == 0);
    json floors = json::parse(clarify.out, nullptr, false)["sweep_clarify"];
    REQUIRE(floors.size() == 17);  // 0.20 .. the threshold + 0.02
    CHECK(floors.back()["floor"].get<double>() == Approx(0.52));
    for (const json& row : floors) {
      // The threshold stays 0.5: the answers are the same at every floor.
      CHECK(row["answerable"].get<double>() == 1.0);
      CHECK(row["clarify_on_decline"].get<int>() == 0);
    }
  }
  SECTION("a malformed case file is a usage error naming the line") {
    REQUIRE(testing_helpers::WriteWholeFile(dir.File("broken.jsonl"),
                                            "{\"q\": \"hi\", \"expect\": \"smalltalk\"}\n{broken\n"));
    Run broken = Careerbot(dir, "eval --db " + db + " " + Quote(dir.File("broken.jsonl")));
    CHECK(broken.exit_code == 2);
    CHECK(broken.err.find("line 2") != std::string::npos);
  }
}

TEST_CASE("kb test passes with the CI gates", "[adapters][cli]") {
  TempDir dir;
  const std::string db = Quote(dir.File("kb.db"));
  REQUIRE(Careerbot(dir, "kb build --db " + db).exit_code == 0);
  // The gates of CMakeLists.txt (CAREERBOT_GATE_KB_*), read from it so they stay in step.
  std::string cmake;
  REQUIRE(testing_helpers::ReadWholeFile(CAREERBOT_SOURCE_DIR "/CMakeLists.txt", &cmake));
  auto gate = [&](const std::string& name) {
    std::smatch m;
    REQUIRE(std::regex_search(cmake, m, std::regex("set\\(" + name + " ([0-9.]+)\\)")));
    return m[1].str();
  };
  const std::string answer = gate("CAREERBOT_GATE_KB_ANSWER"), decline = gate("CAREERBOT_GATE_KB_DECLINE");
  Run r = Careerbot(dir, "kb test --db " + db + " --min-answerable " + answer + " --min-decline " + decline +
                             " --min-smalltalk 1.0");
  INFO("stderr: " << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("answerable") != std::string::npos);
  CHECK(r.out.find("decline") != std::string::npos);
  CHECK(r.out.find("smalltalk") != std::string::npos);
}

TEST_CASE("kb test exits 0 when every case passes and 1 when one fails", "[adapters][cli]") {
  TempDir dir;
  const std::string db = Quote(dir.File("kb.db"));
  REQUIRE(Careerbot(dir, "kb build --db " + db).exit_code == 0);
  const std::string passing = dir.File("passing.jsonl");
  REQUIRE(testing_helpers::WriteWholeFile(passing,
            "{\"id\": \"p1\", \"q\": \"hello\", \"expect\": \"smalltalk\"}\n"
            "{\"id\": \"p2\", \"q\": \"How do I bake bread?\", \"expect\": \"decline\"}\n"
            "{\"id\": \"p3\", \"q\": \"What is Docker used for?\", \"expect\": \"answer\", "
            "\"facts\": [[\"container\"]]}\n"));
  Run ok = Careerbot(dir, "kb test --db " + db + " --file " + Quote(passing));
  INFO(ok.out);
  CHECK(ok.exit_code == 0);
  const std::string failing = dir.File("failing.jsonl");
  REQUIRE(testing_helpers::WriteWholeFile(failing, "{\"id\": \"f1\", \"q\": \"What is Docker used for?\", \"expect\": \"answer\", "
                     "\"facts\": [[\"a string no answer holds\"]]}\n"));
  Run bad = Careerbot(dir, "kb test --db " + db + " --file " + Quote(failing));
  INFO(bad.out);
  CHECK(bad.exit_code == 1);
  CHECK(bad.out.find("[f1]") != std::string::npos);
}
