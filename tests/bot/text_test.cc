#include <catch2/catch.hpp>

#include "bot/stemmer.h"
#include "bot/text.h"

TEST_CASE("the Porter stemmer matches the published examples", "[bot]") {
  CHECK(bot::PorterStem("caresses") == "caress");
  CHECK(bot::PorterStem("ponies") == "poni");
  CHECK(bot::PorterStem("relational") == "relat");
  CHECK(bot::PorterStem("generalizations") == "gener");
  CHECK(bot::PorterStem("developer") == "develop");
  CHECK(bot::PorterStem("development") == "develop");
  CHECK(bot::PorterStem("engineering") == "engin");
  CHECK(bot::PorterStem("hopping") == "hop");
  CHECK(bot::PorterStem("salaries") == "salari");
}
