#include "metaevo/hpo/sampler.h"

#include <gtest/gtest.h>

namespace metaevo::hpo {
namespace {

SearchSpace space() {
  return SearchSpace::from_config(Config::parse(R"(space:
  lr: {type: float, low: 0.001, high: 1.0, log: true}
  width: {type: int, low: 8, high: 256}
  act: {type: categorical, choices: [relu, tanh, gelu]}
)",
                                                "test")
                                      .section("space"));
}

std::vector<const TrialSummary*> pointers(const std::vector<TrialSummary>& history) {
  std::vector<const TrialSummary*> out;
  for (const auto& h : history) out.push_back(&h);
  return out;
}

TEST(EvolutionarySampler, DrawsAtRandomUntilThePopulationHasResults) {
  const auto s = space();
  auto sampler = make_sampler({"evolutionary", {{"population", 4}}});
  std::vector<TrialSummary> history(3);
  for (auto& h : history) h = {s.defaults(), 1, 0.5};
  Draws a(1, 7), b(1, 7);
  EXPECT_EQ(sampler->suggest(s, pointers(history), a), s.sample(b));
}

TEST(EvolutionarySampler, MutatesTheTournamentWinner) {
  const auto s = space();
  auto sampler = make_sampler({"evolutionary", {{"population", 6}, {"tournament", 6}}});
  std::vector<TrialSummary> history;
  Draws setup(2, 0);
  for (int i = 0; i < 6; ++i) history.push_back({s.sample(setup), 1, 0.1 * i});
  // The champion went further than everyone (more resource beats a better value at less).
  history[2].resource = 9;
  history[2].value = 0.0;
  for (uint64_t n = 0; n < 50; ++n) {
    Draws draws(3, n);
    const auto child = sampler->suggest(s, pointers(history), draws);
    s.validate(child, "child");
    int differs = 0;
    for (const auto& [k, v] : child.items()) differs += history[2].config[k] != v;
    EXPECT_LE(differs, 1) << child.dump();
  }
}

TEST(SamplerChoice, RejectsBadValuesAndOtherSamplersSettings) {
  EXPECT_THROW(make_sampler({"evolutionary", {{"tournament", 20}}}), Error);
  EXPECT_THROW(make_sampler({"bayes"}), Error);
  try {
    make_sampler({"random", {{"population", 8}}, "t.yaml: sampler"});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "t.yaml: sampler: unknown key 'population'");
  }
}

}  // namespace
}  // namespace metaevo::hpo
