#include "metaevo/core/config.h"

#include <gtest/gtest.h>

#include "../support/errors.h"
#include "metaevo/core/options.h"

namespace metaevo {
namespace {

struct DemoOptions {
  int64_t population = 8;
  double sigma = 0.1;
  std::string shaping = "raw";
  template <class V>
  void visit(V& v) {
    v("population", population, "members");
    v("sigma", sigma, "scale");
    v("shaping", shaping, "shaping");
  }
  void validate() const { require(sigma > 0, "sigma", "must be > 0, got {}", sigma); }
};

using testing::error_of;

}  // namespace

TEST(Config, ReadsOptionsWithDefaultsAndOverrides) {
  auto c = Config::parse("es:\n  population: 32\n", "test.yaml");
  c.set("es.sigma=0.5");
  auto o = read_options<DemoOptions>(c.section("es"));
  EXPECT_EQ(o.population, 32);
  EXPECT_DOUBLE_EQ(o.sigma, 0.5);
  EXPECT_EQ(o.shaping, "raw");
  EXPECT_NO_THROW(c.check_all_used());
}

TEST(Config, UnknownKeyIsNamed) {
  auto c = Config::parse("es:\n  populaton: 32\n", "test.yaml");
  read_options<DemoOptions>(c.section("es"));
  EXPECT_EQ(error_of([&] { c.check_all_used(); }), "test.yaml: unknown key 'es.populaton'");
}

TEST(Config, AKeyWrittenTwiceIsRefusedNotSilentlyShadowed) {
  EXPECT_EQ(error_of([] { Config::parse("seed: 1\nes:\n  sigma: 0.1\n  sigma: 0.2\n", "twice.yaml"); }),
            "twice.yaml: line 4: key 'sigma' appears twice");
  EXPECT_EQ(error_of([] { Config::parse("runs: [{a: 1, a: 2}]\n", "list.yaml"); }),
            "list.yaml: line 1: key 'a' appears twice");
  EXPECT_NO_THROW(Config::parse("es: {sigma: 1}\nmlo: {sigma: 2}\n", "ok.yaml"));
}

TEST(Config, AValueReadWholeConsumesTheKeysInside) {
  auto c = Config::parse("grow: {mlp_dim: [1, 2]}\nes: {sizes: {a: 1}, other: 2}\n", "test.yaml");
  EXPECT_EQ((c.get<std::map<std::string, std::vector<int>>>("grow").at("mlp_dim")), (std::vector<int>{1, 2}));
  const auto es = c.section("es");
  EXPECT_EQ(es.get_json("sizes"), (nlohmann::json{{"a", 1}}));
  // A section's keys are still checked one by one.
  EXPECT_EQ(error_of([&] { c.check_all_used(); }), "test.yaml: unknown key 'es.other'");
}

TEST(Config, BadValueIsNamed) {
  auto c = Config::parse("es:\n  population: many\n", "test.yaml");
  auto msg = error_of([&] { read_options<DemoOptions>(c.section("es")); });
  EXPECT_NE(msg.find("test.yaml: es.population: cannot read 'many' as an integer"), std::string::npos) << msg;
}

TEST(Config, ValidationFailureNamesFileAndKey) {
  auto c = Config::parse("es: {sigma: -1}\n", "run.yaml");
  EXPECT_EQ(error_of([&] { read_options<DemoOptions>(c.section("es")); }), "run.yaml: es.sigma: must be > 0, got -1");
}

TEST(Config, JsonIsAccepted) {
  auto c = Config::parse(R"({"es": {"population": 4, "shaping": "nes"}})", "run.json");
  auto o = read_options<DemoOptions>(c.section("es"));
  EXPECT_EQ(o.population, 4);
  EXPECT_EQ(o.shaping, "nes");
}

TEST(Config, MalformedFileAndBadSetAreErrors) {
  EXPECT_NE(error_of([] { Config::parse("es: [1, 2\n", "bad.yaml"); }).find("bad.yaml"), std::string::npos);
  EXPECT_NE(error_of([] { Config::load("/nonexistent/run.yaml"); }).find("/nonexistent/run.yaml"), std::string::npos);
  Config c;
  EXPECT_NE(error_of([&] { c.set("novalue"); }).find("--set novalue"), std::string::npos);
}

TEST(Config, OptionsRoundTripToJson) {
  DemoOptions o;
  o.population = 12;
  auto j = to_json(o);
  EXPECT_EQ(j["population"], 12);
  const auto rows = describe<DemoOptions>();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], (OptionRow{"population", "int", "8", "members"}));
  EXPECT_EQ(rows[1][1], "number");
  EXPECT_EQ(rows[2][2], "\"raw\"");
}

}  // namespace metaevo
