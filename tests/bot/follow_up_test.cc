// Follow-up questions read against the previous turn of the same conversation
// ("and how much do they earn?", "what about Go?"), over an in-memory knowledge base.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "../fakes/fake_retriever.h"
#include "bot/answerer.h"

namespace {

using fakes::MakeEntry;

std::vector<bot::Entry> CareerEntries() {
  return {
      MakeEntry("languages", "Programming languages for backend development",
                "Common choices are Python, Java, JavaScript, Ruby and Go. Pick one and learn it well.",
                {"Which programming languages should a backend developer learn?"}, {"languages"}),
      MakeEntry("go", "Go for backend development", "Yes. Go is a compiled language with good concurrency support.",
                {"Is Go used for backend development?"}, {"go", "golang"}),
      MakeEntry("cloud-engineer", "What cloud engineers do",
                "Cloud engineers build and run cloud infrastructure, platforms and services.",
                {"What do cloud engineers do?"}, {"cloud"}),
      MakeEntry("cloud-engineer-pay", "Cloud engineer salary", "Cloud engineers earn about $130,000 a year.",
                {"How much do cloud engineers earn?"}, {"cloud", "salary"}),
      MakeEntry("backend-pay", "Backend developer salary", "Backend developers earn about $100,000 a year.",
                {"How much do backend developers earn?"}, {"salary"}),
      MakeEntry("databases", "Databases to learn", "Learn PostgreSQL first, then a document store.",
                {"Which databases should I learn?"}, {"databases"}),
      MakeEntry("kubernetes", "What Kubernetes is", "Kubernetes runs containers across many machines.",
                {"What is Kubernetes?"}, {"kubernetes", "containers"}),
      MakeEntry("kubernetes-needed", "How much Kubernetes a backend developer needs",
                "Juniors need the basics of Kubernetes; seniors are expected to deploy with it.",
                {"How much Kubernetes does a backend developer need to know?"}, {"kubernetes", "hiring"}),
      MakeEntry("skills", "Skills a backend developer needs",
                "A language, databases, APIs and some knowledge of deployment with Kubernetes.",
                {"What skills does a backend developer need to know?"}, {"skills"}),
      MakeEntry("rails", "Ruby on Rails for backend", "Yes, Ruby on Rails is a mature backend framework.",
                {"Is Ruby on Rails used for backend?"}, {"ruby", "rails", "frameworks"}),
      MakeEntry("express", "Express for backend", "Express is the common Node framework for backend work.",
                {"Is Express used for backend?", "What is Express?"}, {"express", "nodejs", "frameworks"}),
      MakeEntry("frameworks", "Backend frameworks", "Popular ones: Django, Spring, Ruby on Rails and Express.",
                {"Which backend frameworks should I learn?"}, {"frameworks", "express", "rails"}),
      MakeEntry("stack", "The usual backend tech stack", "A language, a framework, a database and a cloud.",
                {"What tech stack do backend developers use?"}, {"stack"}),
  };
}

const char kSynonyms[] =
    "@domain: backend, developer\nsalary, pay, earn, earns, earnings\nruby on rails, rails\n"
    "developer, developers, dev, devs\n";

struct Bot {
  explicit Bot(std::vector<bot::Entry> entries = CareerEntries(), bot::AnswererOptions options = {})
      : retriever(std::move(entries), kSynonyms), answerer(&retriever, options, &clock, &ids) {}
  fakes::FakeRetriever retriever;
  fakes::FakeClock clock;
  fakes::FakeIdGenerator ids;
  bot::Answerer answerer;

  bot::Answer Ask(const std::string& text, const std::string& conversation_id = "", bool explain = false) {
    bot::Question q;
    q.text = text;
    q.conversation_id = conversation_id;
    q.explain = explain;
    auto a = answerer.Ask(q);
    REQUIRE(a.ok());
    return *a;
  }
};

}  // namespace

TEST_CASE("a pay follow-up after a question about cloud engineers answers cloud engineer pay", "[bot][conversation]") {
  Bot b;
  bot::Answer first = b.Ask("What do cloud engineers do?");
  REQUIRE(first.entry_id == "cloud-engineer");
  bot::Answer next = b.Ask("and how much do they earn?", first.conversation_id);
  CHECK(next.answered);
  CHECK(next.entry_id == "cloud-engineer-pay");
  CHECK(next.conversation_id == first.conversation_id);
}

TEST_CASE("'how much do they make?' asks about pay, and the next follow-up keeps asking about pay",
          "[bot][conversation]") {
  Bot b;
  bot::Answer first = b.Ask("How much do backend developers make?");
  CHECK(first.entry_id == "backend-pay");
  bot::Answer next = b.Ask("and cloud engineers?", first.conversation_id);
  CHECK(next.answered);
  CHECK(next.entry_id == "cloud-engineer-pay");
}

TEST_CASE("the same follow-up without its conversation is read alone", "[bot][conversation]") {
  Bot b;
  bot::Answer first = b.Ask("What do cloud engineers do?");
  bot::Answer alone = b.Ask("and how much do they earn?");
  CHECK(alone.conversation_id != first.conversation_id);
  CHECK(alone.entry_id != "cloud-engineer-pay");
}

TEST_CASE("'what about Go?' after the languages answer gives the Go entry, not the list again", "[bot][conversation]") {
  Bot b;
  bot::Answer first = b.Ask("Which programming languages should a backend developer learn?");
  REQUIRE(first.entry_id == "languages");
  bot::Answer next = b.Ask("what about Go?", first.conversation_id);
  CHECK(next.answered);
  CHECK(next.entry_id == "go");
}

TEST_CASE("a follow-up is read against its own conversation only", "[bot][conversation]") {
  Bot b;
  bot::Answer cloud = b.Ask("What do cloud engineers do?");
  bot::Answer dbs = b.Ask("Which databases should I learn?");
  REQUIRE(dbs.entry_id == "databases");
  bot::Answer next = b.Ask("and how much do they earn?", cloud.conversation_id);
  CHECK(next.entry_id == "cloud-engineer-pay");
}

TEST_CASE("an expired conversation gives no context", "[bot][conversation]") {
  Bot b;
  bot::Answer first = b.Ask("What do cloud engineers do?");
  b.clock.Advance(3600);  // past the default 30-minute ttl
  bot::Answer next = b.Ask("and how much do they earn?", first.conversation_id);
  CHECK(next.entry_id != "cloud-engineer-pay");
  CHECK(next.conversation_id == first.conversation_id);  // the id is kept; only its memory is gone
}

TEST_CASE("a question naming its own topic is answered alone, whatever came before", "[bot][conversation]") {
  Bot b;
  bot::Answer first = b.Ask("How much do backend developers earn?");
  REQUIRE(first.entry_id == "backend-pay");
  bot::Answer next = b.Ask("What tech stack do backend developers use?", first.conversation_id, true);
  CHECK(next.entry_id == "stack");
  REQUIRE(next.explanation);
  CHECK_FALSE(next.explanation->context_used);
  CHECK(next.explanation->context_terms.empty());
  CHECK(next.explanation->context_reason.find("own topic") != std::string::npos);
  // The same question alone gets the same answer.
  CHECK(b.Ask("What tech stack do backend developers use?").entry_id == next.entry_id);
}

TEST_CASE("a pronoun reads the previous topic and the follow-up's own words pick the entry", "[bot][conversation]") {
  Bot b;
  bot::Answer first = b.Ask("What is Kubernetes?");
  REQUIRE(first.entry_id == "kubernetes");
  bot::Answer next = b.Ask("how much of it does a backend dev need to know?", first.conversation_id, true);
  REQUIRE(next.explanation);
  INFO(next.explanation->context_reason << " winner " << next.explanation->winner_id << " "
       << next.explanation->confidence << " runner-up " << next.explanation->runner_up_id << " "
       << next.explanation->runner_up_confidence);
  CHECK(next.entry_id == "kubernetes-needed");
  CHECK(next.explanation->context_used);
  CHECK(next.explanation->context_reason.find("pronoun: 'it'") != std::string::npos);
  CHECK(next.explanation->context_terms == std::vector<std::string>{"kubernet"});
}

TEST_CASE("an ellipsis swaps the previous subject for its own: 'and Express?' after Rails", "[bot][conversation]") {
  Bot b;
  bot::Answer first = b.Ask("Is Ruby on Rails used for backend?");
  REQUIRE(first.entry_id == "rails");
  bot::Answer next = b.Ask("and Express?", first.conversation_id, true);
  CHECK(next.entry_id == "express");  // not the list of frameworks that names both
  REQUIRE(next.explanation);
  CHECK(next.explanation->context_used);
  CHECK(next.explanation->context_reason.find("ellipsis") != std::string::npos);
}

TEST_CASE("a follow-up does not repeat the entry just given when another fits", "[bot][conversation]") {
  Bot b;
  bot::Answer first = b.Ask("What is Kubernetes?");
  REQUIRE(first.entry_id == "kubernetes");
  bot::Answer next = b.Ask("do juniors need it?", first.conversation_id);
  CHECK(next.answered);
  CHECK(next.entry_id == "kubernetes-needed");
}

TEST_CASE("'that' right after an auxiliary is the subject and reads the previous topic; before a noun it is not",
          "[bot][conversation]") {
  std::vector<bot::Entry> entries = CareerEntries();
  entries.push_back(MakeEntry("kubernetes-time", "How long learning Kubernetes takes",
                              "A few weeks of practice for the basics of Kubernetes.",
                              {"How long does learning Kubernetes take?"}, {"kubernetes", "time"}));
  entries.push_back(MakeEntry("learning-time", "How long learning backend development takes",
                              "Most people need six to twelve months.", {"How long does learning backend development take?"},
                              {"time"}));
  Bot b(entries);
  bot::Answer first = b.Ask("What is Kubernetes?", "", true);
  REQUIRE(first.entry_id == "kubernetes");
  bot::Answer next = b.Ask("how many weeks does that take?", first.conversation_id, true);
  REQUIRE(next.explanation);
  INFO(next.explanation->context_reason);
  CHECK(next.explanation->context_used);
  CHECK(next.explanation->context_reason.find("pronoun: 'that'") != std::string::npos);
  CHECK(next.entry_id == "kubernetes-time");

  bot::Answer rails = b.Ask("Is Ruby on Rails used for backend?", "", true);
  REQUIRE(rails.entry_id == "rails");
  bot::Answer framework = b.Ask("is that framework used by startups?", rails.conversation_id, true);
  REQUIRE(framework.explanation);
  INFO(framework.explanation->context_reason);
  CHECK(framework.explanation->context_reason.find("pronoun") == std::string::npos);
}

TEST_CASE("a pronoun whose topic and whose own words point to different entries asks back with both",
          "[bot][conversation]") {
  std::vector<bot::Entry> entries = CareerEntries();
  entries.push_back(MakeEntry("csharp", "C# for backend development",
                              "C# runs on .NET, and ASP.NET is its web framework.",
                              {"Is C# good for backend development?"}, {"csharp", "dotnet"}));
  entries.push_back(MakeEntry("beginner-projects", "Projects for beginners",
                              "Good first projects for beginners: a to-do API, a URL shortener.",
                              {"Which projects are good for beginners?"}, {"projects", "beginners"}));
  Bot b(entries);
  bot::Answer first = b.Ask("Is C# good for backend development?");
  REQUIRE(first.entry_id == "csharp");

  // Alone, the words mean the beginners' projects, confidently.
  bot::Answer alone = b.Ask("is it good for beginners?");
  REQUIRE(alone.answered);
  REQUIRE(alone.entry_id == "beginner-projects");

  // After the C# answer, "it" is C#, which says nothing about beginners:
  // the bot cannot tell which is meant, and asks, the topic just given first.
  bot::Answer next = b.Ask("is it good for beginners?", first.conversation_id, true);
  CHECK_FALSE(next.answered);
  CHECK(next.kind == "clarify");
  REQUIRE(next.options.size() == 2);
  CHECK(next.options[0].entry_id == "csharp");
  CHECK(next.options[1].entry_id == "beginner-projects");
  REQUIRE(next.explanation);
  CHECK(next.explanation->context_reason.find("asked back: pronoun: 'it'") == 0);
  CHECK(next.confidence < 0.54);
  // Choosing the first answers C#.
  bot::Answer chosen = b.Ask("1", first.conversation_id);
  CHECK(chosen.answered);
  CHECK(chosen.entry_id == "csharp");

  // A pronoun whose reading with the context is confident is answered, not asked back.
  bot::Answer k8s = b.Ask("What is Kubernetes?");
  REQUIRE(k8s.entry_id == "kubernetes");
  bot::Answer needed = b.Ask("how much of it does a backend developer need to know?", k8s.conversation_id);
  CHECK(needed.kind == "kb");
  CHECK(needed.entry_id == "kubernetes-needed");
}

TEST_CASE("a pronoun follow-up naming something of its own is answered about that name, not asked back",
          "[bot][conversation]") {
  std::vector<bot::Entry> entries = CareerEntries();
  entries.push_back(MakeEntry("github-actions", "GitHub Actions",
                              "GitHub Actions runs CI workflows defined in YAML files in the repository.",
                              {"What is GitHub Actions?"}, {"github", "actions", "ci"}));
  entries.push_back(MakeEntry("jenkins", "Jenkins pipelines",
                              "Jenkins is a self-hosted automation server; a Jenkinsfile defines its pipeline.",
                              {"What is Jenkins?", "How is Jenkins different from other tools?"},
                              {"jenkins", "ci"}));
  Bot b(entries);
  bot::Answer first = b.Ask("What is GitHub Actions?");
  REQUIRE(first.entry_id == "github-actions");
  bot::Answer alone = b.Ask("how is it different from Jenkins?");
  REQUIRE(alone.answered);
  REQUIRE(alone.entry_id == "jenkins");
  // "it" is GitHub Actions, but the question names Jenkins: the entry about
  // Jenkins answers (without the name, as in the test above, it asks back).
  bot::Answer next = b.Ask("how is it different from Jenkins?", first.conversation_id, true);
  CHECK(next.kind == "kb");
  CHECK(next.entry_id == "jenkins");
  REQUIRE(next.explanation);
  CHECK(next.explanation->context_reason.find("asked back") == std::string::npos);
}

TEST_CASE("of entries holding a follow-up's topic word alike, the one whose title names it answers",
          "[bot][conversation]") {
  std::vector<bot::Entry> entries = CareerEntries();
  entries.push_back(MakeEntry("scaling", "How to scale a backend",
                              "Add caching first, then bigger machines, then more servers behind a load balancer.",
                              {"How do I scale a backend?"}, {"scaling"}));
  entries.push_back(MakeEntry("caching", "What server-side caching is",
                              "A cache keeps a computed response so later requests are served from the copy.",
                              {"What is caching in a backend?"}, {"caching"}));
  entries.push_back(MakeEntry("database-roadmap", "Database topics on the backend roadmap",
                              "ORMs and normalization first; database scaling and caching come later.",
                              {"What database topics should I learn?", "Is caching on the backend roadmap?"},
                              {"databases", "caching"}));
  Bot b(entries);
  bot::Answer first = b.Ask("How do I scale a backend?");
  REQUIRE(first.entry_id == "scaling");
  // The roadmap holds "caching" in a phrasing and "scale" in its body: read
  // with the context it scores above the caching entry.
  bot::Answer next = b.Ask("what about caching?", first.conversation_id, true);
  CHECK(next.kind == "kb");
  CHECK(next.entry_id == "caching");
  REQUIRE(next.explanation);
  CHECK(next.explanation->context_used);
}

TEST_CASE("a pronoun for a name swapped in by an ellipsis gets the entry about the name again",
          "[bot][conversation]") {
  std::vector<bot::Entry> entries = CareerEntries();
  entries.push_back(MakeEntry("php", "Is PHP still used for backend?",
                              "PHP still runs a large share of websites, WordPress among them.", {"Is PHP dead?"},
                              {"php", "languages"}));
  entries.push_back(MakeEntry("csharp", "C# and ASP.NET for backend",
                              "ASP.NET is Microsoft's web framework for C#; it runs on .NET.",
                              {"Is C# good for backend development?", "What is ASP.NET used for?"}, {"csharp", "dotnet"}));
  Bot b(entries);
  bot::Answer first = b.Ask("Is PHP dead?");
  REQUIRE(first.entry_id == "php");
  bot::Answer swap = b.Ask("what about C#?", first.conversation_id);
  REQUIRE(swap.entry_id == "csharp");
  // "it" is C#, whose entry was just given and is the one about C# holding
  // "framework" (read with the whole context, "dead" included, it was not
  // confident, and the bot asked back).
  bot::Answer alone = b.Ask("which framework does it use?");
  REQUIRE(alone.entry_id != "csharp");
  bot::Answer next = b.Ask("which framework does it use?", first.conversation_id, true);
  CHECK(next.kind == "kb");
  CHECK(next.entry_id == "csharp");
}

TEST_CASE("'why?' alone asks about the previous answer, not about an entry phrased with 'why'", "[bot][conversation]") {
  std::vector<bot::Entry> entries = CareerEntries();
  entries.push_back(MakeEntry("quitting", "Why developers quit", "Most leave for pay or burnout.",
                              {"Why do developers quit their jobs?", "why?"}, {"burnout"}));
  Bot b(entries);
  bot::Answer first = b.Ask("What is Kubernetes?");
  REQUIRE(first.entry_id == "kubernetes");
  bot::Answer why = b.Ask("why?", first.conversation_id, true);
  REQUIRE(why.explanation);
  INFO(why.explanation->context_reason);
  CHECK(why.entry_id != "quitting");
  CHECK(why.entry_id.rfind("kubernetes", 0) == 0);
}

TEST_CASE("'source?' after an answer names that answer's source, and the conversation keeps its topic",
          "[bot][conversation]") {
  std::vector<bot::Entry> entries = CareerEntries();
  entries[2].source.article = "Cloud Careers Report";
  entries[2].source.section = "Roles";
  entries[2].source.url = "https://example.com/cloud";
  entries[2].updated_at = "2026-01-02";
  REQUIRE(entries[2].id == "cloud-engineer");
  Bot b(entries);
  bot::Answer first = b.Ask("What do cloud engineers do?");
  REQUIRE(first.entry_id == "cloud-engineer");
  for (const char* ask : {"source?", "Where does that come from?", "what's your source", "how do you know that?"}) {
    INFO(ask);
    bot::Answer source = b.Ask(ask, first.conversation_id);
    CHECK(source.kind == "smalltalk");
    CHECK(source.entry_id.empty());  // not counted as the entry asked again
    CHECK(source.text.find("\"What cloud engineers do\"") != std::string::npos);
    CHECK(source.text.find("Cloud Careers Report, Roles (entry last reviewed 2026-01-02): https://example.com/cloud") !=
          std::string::npos);
    REQUIRE(source.sources.size() == 1);
    CHECK(source.sources[0].id == "cloud-engineer");
    CHECK(source.sources[0].url == "https://example.com/cloud");
  }
  // The topic stays: a follow-up after it still reads cloud engineers.
  bot::Answer next = b.Ask("and how much do they earn?", first.conversation_id);
  CHECK(next.entry_id == "cloud-engineer-pay");

  // Without an earlier answer there is nothing to name.
  bot::Answer alone = b.Ask("source?");
  CHECK(alone.kind == "smalltalk");
  CHECK(alone.sources.empty());
  CHECK(alone.text.find("Ask me a question first") != std::string::npos);
  // After a decline there is no answer to name either.
  bot::Answer declined = b.Ask("How much do plumbers earn?");
  REQUIRE_FALSE(declined.answered);
  bot::Answer after_decline = b.Ask("source?", declined.conversation_id);
  CHECK(after_decline.sources.empty());
  CHECK(after_decline.text.find("Ask me a question first") != std::string::npos);
  // A real question that starts the same way is a question.
  bot::Answer question = b.Ask("is it true that cloud engineers earn a lot?");
  CHECK(question.kind != "smalltalk");
}

TEST_CASE("after a near miss, a follow-up without a topic of its own is read alone; one naming the domain is not",
          "[bot][conversation]") {
  Bot b;
  bot::Answer first = b.Ask("How much does a firefighter earn?");
  REQUIRE_FALSE(first.answered);
  // "better" with the declined question's pay terms would read as backend
  // pay; the asker was comparing firefighters' pay with something else.
  bot::Answer better = b.Ask("which is better?", first.conversation_id, true);
  REQUIRE(better.explanation);
  INFO(better.explanation->context_reason);
  CHECK_FALSE(better.answered);
  CHECK_FALSE(better.explanation->context_used);
  CHECK(better.explanation->context_reason.find("another occupation") != std::string::npos);
  bot::Answer again = b.Ask("How much does a firefighter earn?");
  REQUIRE_FALSE(again.answered);
  bot::Answer backend = b.Ask("and a backend developer?", again.conversation_id);
  CHECK(backend.answered);
  CHECK(backend.entry_id == "backend-pay");
}

TEST_CASE("'which is better?' after a comparison is about that comparison, though its entry lacks the word",
          "[bot][conversation]") {
  std::vector<bot::Entry> entries = CareerEntries();
  entries.push_back(MakeEntry("rest", "What REST is", "REST is an architectural style for APIs over HTTP.",
                              {"What is REST?"}, {"rest", "apis"}));
  entries.push_back(MakeEntry("rest-or-graphql", "REST or GraphQL?",
                              "Neither wins: REST is simpler to cache, GraphQL lets clients ask for exactly the fields.",
                              {"Should I use REST or GraphQL?"}, {"rest", "graphql", "apis"}));
  Bot b(entries);
  bot::Answer first = b.Ask("Should I use REST or GraphQL?");
  REQUIRE(first.entry_id == "rest-or-graphql");
  bot::Answer next = b.Ask("which is better?", first.conversation_id, true);
  REQUIRE(next.explanation);
  INFO(next.explanation->context_reason);
  CHECK(next.answered);
  CHECK(next.entry_id == "rest-or-graphql");
  // Alone, it names nothing to compare.
  CHECK_FALSE(b.Ask("which is better?").answered);
}

TEST_CASE("a pronoun stands for the previous question's subject, not for what was asked about it",
          "[bot][conversation]") {
  std::vector<bot::Entry> entries = CareerEntries();
  entries.push_back(MakeEntry("what-backend", "What a backend developer does",
                              "A backend developer builds the server side: logic, data and APIs.",
                              {"What is a backend developer?"}, {"role"}));
  entries.push_back(MakeEntry("good-career", "Is backend development a good career?",
                              "Yes: demand is steady and pay is above average; become one if you like servers.",
                              {"Is backend development a good career?"}, {"career"}));
  entries.push_back(MakeEntry("become", "How to become a backend developer",
                              "Learn a language, a database and HTTP, then build projects.",
                              {"How do I become a backend developer?"}, {"roadmap"}));
  Bot b(entries);
  bot::Answer first = b.Ask("What is a backend developer?");
  REQUIRE(first.entry_id == "what-backend");
  bot::Answer career = b.Ask("is it a good career?", first.conversation_id);
  REQUIRE(career.entry_id == "good-career");
  // "one" is a backend developer; the previous question's "good career"
  // would keep the career entry (it says "become one") ahead.
  bot::Answer become = b.Ask("how do I become one?", first.conversation_id, true);
  REQUIRE(become.explanation);
  INFO(become.explanation->context_reason);
  CHECK(become.answered);
  CHECK(become.entry_id == "become");
  CHECK(become.explanation->context_reason.find("subject only") != std::string::npos);
}

TEST_CASE("a declined question of weak words only carries no topic to the next one", "[bot][conversation]") {
  Bot b;
  bot::Answer first = b.Ask("which is better?");
  REQUIRE_FALSE(first.answered);
  bot::Answer next = b.Ask("and how much do cloud engineers earn?", first.conversation_id, true);
  REQUIRE(next.explanation);
  INFO(next.explanation->context_reason);
  CHECK(next.entry_id == "cloud-engineer-pay");
  bot::Answer again = b.Ask("which is better?");
  bot::Answer backend = b.Ask("and the backend?", again.conversation_id, true);
  REQUIRE(backend.explanation);
  INFO(backend.explanation->context_reason);
  CHECK(backend.explanation->context_terms.empty());
  CHECK_FALSE(backend.explanation->context_used);
}

TEST_CASE("a pronoun's answer is about what the previous question named, not the follow-up's words alone",
          "[bot][conversation]") {
  // "is it free?" after "What is Redis?" asks whether Redis is free: the
  // free course holds the follow-up's word but is not about Redis, so the
  // Redis entry answers again, the only one about both.
  std::vector<bot::Entry> entries = CareerEntries();
  entries.push_back(MakeEntry("redis", "What Redis is, and its licence",
                              "Redis is an in-memory store; since 2024 it is source-available, not BSD.",
                              {"What is Redis?", "Is Redis free to use?"}, {"redis", "licence"}));
  entries.push_back(MakeEntry("free-course", "A free backend course", "freeCodeCamp has a free 70-hour course.",
                              {"Is there a free backend course?", "Where can I learn backend for free?"},
                              {"learning", "free"}));
  Bot b(entries);
  bot::Answer first = b.Ask("What is Redis?");
  REQUIRE(first.entry_id == "redis");
  bot::Answer next = b.Ask("is it free?", first.conversation_id);
  CHECK(next.entry_id == "redis");
  // Asked alone, the same words mean the course.
  CHECK(b.Ask("is it free?").entry_id == "free-course");
}

TEST_CASE("an ellipsis of a place or employer keeps what was asked; a bare name swaps the subject",
          "[bot][conversation]") {
  // "and at Amazon?" after a pay question asks about pay at Amazon. The one
  // entry about Amazon is about its architecture, not pay: answering it
  // would answer another question, so the bot does not.
  std::vector<bot::Entry> entries = CareerEntries();
  entries.push_back(MakeEntry("prime-video", "Amazon Prime Video's move back to a monolith",
                              "Amazon's Prime Video team merged its serverless steps into one process.",
                              {"Did Amazon Prime Video go back to a monolith?"}, {"amazon", "monolith"}));
  Bot b(entries);
  bot::Answer first = b.Ask("How much do backend developers earn?");
  REQUIRE(first.entry_id == "backend-pay");
  bot::Answer next = b.Ask("and at Amazon?", first.conversation_id);
  CHECK(next.entry_id != "prime-video");
  CHECK_FALSE(next.answered);
  // Asked alone, "Amazon" means the Prime Video entry.
  CHECK(b.Ask("and at Amazon?").entry_id == "prime-video");
  // What was asked is the previous question's topic, not a word common in
  // general English: after "Is remote work common ...?", "and for
  // juniors?" asks about remote work for juniors, which an entry about
  // junior jobs merely calling them "less common" does not answer.
  entries.push_back(MakeEntry("remote", "Remote work for backend developers", "Many backend jobs are remote.",
                              {"Can backend developers work remotely?"}, {"remote"}));
  entries.push_back(MakeEntry("junior-jobs", "Junior backend jobs", "Junior openings are less common than before.",
                              {"Are junior backend jobs common?"}, {"juniors"}));
  Bot r(entries);
  bot::Answer remote = r.Ask("Is remote work common for backend developers?");
  REQUIRE(remote.entry_id == "remote");
  CHECK(r.Ask("and for juniors?", remote.conversation_id).entry_id != "junior-jobs");
  // A bare name after "what about" is the new subject.
  bot::Answer languages = b.Ask("Which programming languages should a backend developer learn?");
  REQUIRE(languages.entry_id == "languages");
  CHECK(b.Ask("what about Go?", languages.conversation_id).entry_id == "go");
}

TEST_CASE("an acknowledgement before an ellipsis keeps it an ellipsis: 'ok, and cloud engineers?'",
          "[bot][conversation]") {
  for (const char* next_q : {"ok, and cloud engineers?", "thanks! and cloud engineers?", "got it, what about cloud engineers?"}) {
    Bot b;
    bot::Answer first = b.Ask("How much do backend developers make?");
    REQUIRE(first.entry_id == "backend-pay");
    bot::Answer next = b.Ask(next_q, first.conversation_id, true);
    INFO(next_q);
    CHECK(next.entry_id == "cloud-engineer-pay");
    REQUIRE(next.explanation);
    CHECK(next.explanation->context_used);
    CHECK(next.explanation->context_reason.find("ellipsis") != std::string::npos);
  }
}

TEST_CASE("a name the tokenizer respells is still a name: 'what about C#?' replaces PHP", "[bot][conversation]") {
  Bot b({MakeEntry("php", "PHP for backend", "PHP runs much of the web.", {"Is PHP used for backend?"}, {"php"}),
         MakeEntry("csharp", "C# for backend", "C# with ASP.NET is common for backend work.",
                   {"Is C# used for backend?"}, {"csharp"}),
         MakeEntry("languages", "Programming languages for backend development", "Python, Java, PHP and C#.",
                   {"Which programming languages should a backend developer learn?"}, {"languages"})});
  bot::Answer first = b.Ask("Is PHP used for backend?");
  REQUIRE(first.entry_id == "php");
  bot::Answer next = b.Ask("what about C#?", first.conversation_id, true);
  CHECK(next.entry_id == "csharp");
  REQUIRE(next.explanation);
  INFO(next.explanation->context_reason);
  CHECK(next.explanation->context_reason.find("replaced by the question's own words: php") != std::string::npos);
}

TEST_CASE("'they' after a conversation about people may stand for them: the words alone answer",
          "[bot][conversation]") {
  // "and how many hours do they work?" after questions about engineers'
  // on-call duty asks about the engineers' hours, not about
  // on-call: the hours entry, whose title names people, answers. Without
  // people in the conversation, "they" points to the entry just given, and
  // the bot asks back.
  std::vector<bot::Entry> entries = CareerEntries();
  entries.push_back(MakeEntry("on-call", "On-call duty for backend developers",
                              "Many backend developers share an on-call rotation for the services they run.",
                              {"Do engineers have to be on call?", "What is on-call duty?"},
                              {"oncall", "operations"}));
  entries.push_back(MakeEntry("sustainable-on-call", "Keeping on-call sustainable",
                              "Teams keep on-call sustainable with fair rotations, fewer alerts, and time off "
                              "for the hours people work at night.",
                              {"How do teams keep on-call sustainable?"}, {"oncall", "burnout"}));
  entries.push_back(MakeEntry("hours", "How many hours developers work",
                              "Most developers work 40 to 44 hours a week.",
                              {"How many hours a week do developers work?"}, {"hours"}));
  Bot b(entries);
  bot::Answer first = b.Ask("Do engineers have to be on call?");
  REQUIRE(first.entry_id == "on-call");
  bot::Answer second = b.Ask("how do teams keep it sustainable?", first.conversation_id);
  REQUIRE(second.entry_id == "sustainable-on-call");
  bot::Answer third = b.Ask("and how many hours do they work?", first.conversation_id, true);
  REQUIRE(third.explanation);
  INFO(third.explanation->context_reason);
  CHECK(third.kind == "kb");
  CHECK(third.entry_id == "hours");

  Bot c(entries);
  bot::Answer duty = c.Ask("What is on-call duty?");
  REQUIRE(duty.entry_id == "on-call");
  bot::Answer then = c.Ask("and how many hours do they work?", duty.conversation_id);
  CHECK(then.kind == "clarify");
}

TEST_CASE("a pronoun for a named subject keeps the subject when no entry about it holds the new words",
          "[bot][conversation]") {
  // "is it good for beginners?" after C# asks whether C# is good for
  // beginners. No entry about C# says "beginners"; the first-job entry the
  // words alone find is not about C#. The C# entry, the nearest answer
  // about the subject, answers.
  std::vector<bot::Entry> entries = CareerEntries();
  entries.push_back(MakeEntry("php", "PHP for backend", "PHP runs much of the web.", {"Is PHP used for backend?"},
                              {"php"}));
  entries.push_back(MakeEntry("csharp", "C# for backend",
                              "C# with ASP.NET is common for backend work, with good tooling.",
                              {"Is C# used for backend?", "Is C# good for backend development?"}, {"csharp"}));
  entries.push_back(MakeEntry("first-job", "A first backend job for beginners",
                              "Beginners get a first job with a portfolio of small projects.",
                              {"How do beginners get a first backend job?", "Is backend good for beginners?"},
                              {"jobs"}));
  // The hand-set confidence of so small a knowledge base is low for every
  // reading: the threshold is lowered to what the two readings score.
  bot::AnswererOptions options;
  options.threshold = 0.45;
  Bot b(entries, options);
  bot::Answer first = b.Ask("Is PHP used for backend?");
  REQUIRE(first.entry_id == "php");
  bot::Answer second = b.Ask("what about C#?", first.conversation_id);
  REQUIRE(second.entry_id == "csharp");
  bot::Answer third = b.Ask("is it good for beginners?", first.conversation_id, true);
  REQUIRE(third.explanation);
  INFO(third.explanation->context_reason);
  CHECK(third.entry_id == "csharp");
  // Asked alone, the same words mean the first-job entry.
  CHECK(b.Ask("is it good for beginners?").entry_id == "first-job");
}

TEST_CASE("a pronoun for a name never gets the answer its words alone find about something else",
          "[bot][conversation]") {
  // "is it fast?" after "What is Django?" asks about Django. Alone, the words
  // mean how fast one learns SQL: answering that answers another question.
  std::vector<bot::Entry> entries = CareerEntries();
  entries.push_back(MakeEntry("django", "Django for backend", "Django is a batteries-included Python framework.",
                              {"What is Django?", "Is Django used for backend?"}, {"django", "python"}));
  entries.push_back(MakeEntry("sql-speed", "How fast you can learn SQL",
                              "The basics of SQL take a few weeks; it is fast to learn.",
                              {"Is it fast to learn SQL?", "How fast can I learn SQL?"}, {"sql"}));
  Bot b(entries);
  bot::Answer first = b.Ask("What is Django?");
  REQUIRE(first.entry_id == "django");
  bot::Answer next = b.Ask("is it fast?", first.conversation_id, true);
  REQUIRE(next.explanation);
  INFO(next.explanation->context_reason);
  CHECK(next.entry_id != "sql-speed");
  for (const auto& o : next.options) CHECK(o.entry_id != "sql-speed");
  // Asked alone, the same words mean the SQL entry.
  CHECK(b.Ask("is it fast?").entry_id == "sql-speed");
}

TEST_CASE("an ellipsis swapping a name asks the last question about the new one, even of the entry just given",
          "[bot][conversation]") {
  // "does it expire?" about AWS certifications, then "what about Azure?":
  // the renewal entry covers both clouds and answers again; the worth of a
  // certification, asked two turns back, is not carried on.
  std::vector<bot::Entry> entries = CareerEntries();
  entries.push_back(MakeEntry("cert-worth", "Are cloud certifications worth it",
                              "Certifications help most early on; experience counts more later.",
                              {"Is an AWS certification worth it?", "Are Azure certifications worth it?"},
                              {"certifications", "aws", "azure"}));
  entries.push_back(MakeEntry("cert-renewal", "When cloud certifications expire",
                              "AWS certifications last three years; Microsoft's expire every year.",
                              {"Do AWS certifications expire?", "How often must an Azure certification be renewed?"},
                              {"certifications", "renewal"}));
  entries.push_back(MakeEntry("cert-choice", "Which cloud certification to take",
                              "On AWS the Developer Associate; on Azure the AZ-204.",
                              {"Which certification should I take on AWS?", "Which Azure certification is for developers?"},
                              {"certifications", "aws", "azure"}));
  Bot b(entries);
  bot::Answer first = b.Ask("Is an AWS certification worth it?");
  REQUIRE(first.entry_id == "cert-worth");
  bot::Answer second = b.Ask("does it expire?", first.conversation_id);
  REQUIRE(second.entry_id == "cert-renewal");
  bot::Answer third = b.Ask("what about Azure?", first.conversation_id, true);
  REQUIRE(third.explanation);
  INFO(third.explanation->context_reason);
  CHECK(third.entry_id == "cert-renewal");
}

TEST_CASE("a comparison naming one side compares with the last topic; 'they' may stand for its topic word",
          "[bot][conversation]") {
  // "is a bootcamp a good alternative?" after a degree question asks whether
  // a bootcamp is a good alternative to a degree; "how long do they take?"
  // then asks about bootcamps, a topic word, not a name.
  std::vector<bot::Entry> entries = CareerEntries();
  entries.push_back(MakeEntry("degree", "Do you need a degree", "Many backend developers have a CS degree; not all.",
                              {"Do I need a computer science degree?", "Is a degree required?"}, {"degree"}));
  entries.push_back(MakeEntry("bootcamp-vs-degree", "Coding bootcamp vs degree",
                              "Bootcamp graduates find jobs, though a degree still opens more doors.",
                              {"Is a coding bootcamp a good option instead of a computer science degree?",
                               "Bootcamp or degree: which is better?"},
                              {"bootcamp", "degree"}));
  entries.push_back(MakeEntry("bootcamp-market", "The coding bootcamp market",
                              "There are hundreds of coding bootcamps; some have closed.",
                              {"How many coding bootcamps are there?", "Is a bootcamp a good business?"},
                              {"bootcamp"}));
  entries.push_back(MakeEntry("bootcamp-cost", "Coding bootcamp length and cost",
                              "Most bootcamps take 12 to 16 weeks and cost about $13,000.",
                              {"How long is a coding bootcamp?", "How much does a bootcamp cost?"},
                              {"bootcamp", "cost"}));
  entries.push_back(MakeEntry("time-to-job", "How long it takes to become a backend developer",
                              "Six months to two years, depending on the hours you put in.",
                              {"How long does it take to become a backend developer?"}, {"time"}));
  bot::AnswererOptions options;  // the small knowledge base's hand-set confidence is low
  options.threshold = 0.4;
  options.clarify_floor = 0.3;
  Bot b(entries, options);
  bot::Answer first = b.Ask("Do I need a computer science degree?");
  REQUIRE(first.entry_id == "degree");
  bot::Answer second = b.Ask("is a bootcamp a good alternative?", first.conversation_id, true);
  REQUIRE(second.explanation);
  INFO(second.explanation->context_reason);
  CHECK(second.explanation->context_reason.find("comparison") != std::string::npos);
  CHECK(second.entry_id == "bootcamp-vs-degree");
  // Asked alone, the same words do not mean the comparison with a degree.
  CHECK(b.Ask("is a bootcamp a good alternative?").entry_id != "bootcamp-vs-degree");
  bot::Answer third = b.Ask("how long do they take and what do they cost?", first.conversation_id, true);
  REQUIRE(third.explanation);
  INFO(third.explanation->context_reason);
  CHECK(third.entry_id == "bootcamp-cost");
}
