#include "metaevo/hpo/space.h"

#include <gtest/gtest.h>

namespace metaevo::hpo {
namespace {

Config space_config(const std::string& body) { return Config::parse("space:\n" + body, "test.yaml").section("space"); }

const char* kSpace = R"(
  lr: {type: float, low: 0.0001, high: 1.0, log: true, default: 0.01}
  width: {type: int, low: 16, high: 512, log: true}
  depth: {type: int, low: 1, high: 3}
  act: {type: categorical, choices: [relu, tanh], default: tanh}
  batch: {type: categorical, choices: [32, 64, 128]}
)";

TEST(SearchSpace, ReadsTypesAndDefaults) {
  auto space = SearchSpace::from_config(space_config(kSpace));
  ASSERT_EQ(space.params().size(), 5u);
  const auto d = space.defaults();
  EXPECT_DOUBLE_EQ(d["lr"].get<double>(), 0.01);
  EXPECT_EQ(d["act"], "tanh");
  EXPECT_EQ(d["batch"], 32);  // the first choice when no default is given
  EXPECT_TRUE(d["width"].is_number_integer());
  EXPECT_EQ(d["width"].get<int>(), 91);  // geometric middle of [16, 512], rounded
  space.validate(d, "defaults");
}

TEST(SearchSpace, SamplesInsideBoundsAndReproducibly) {
  auto space = SearchSpace::from_config(space_config(kSpace));
  for (uint64_t n = 0; n < 200; ++n) {
    Draws a(3, n), b(3, n);
    const auto x = space.sample(a);
    EXPECT_EQ(x, space.sample(b));
    space.validate(x, "sample");
    EXPECT_TRUE(x["batch"].is_number_integer());
  }
  Draws a(3, 0), b(4, 0);
  EXPECT_NE(space.sample(a), space.sample(b));
}

TEST(SearchSpace, MutationChangesOneParameterWithinBounds) {
  auto space = SearchSpace::from_config(space_config(kSpace));
  const auto parent = space.defaults();
  int changed_total = 0;
  for (uint64_t n = 0; n < 100; ++n) {
    Draws draws(9, n);
    const auto child = space.mutate(parent, draws, 0.2);
    space.validate(child, "child");
    int changed = 0;
    for (const auto& [k, v] : parent.items()) changed += child[k] != v;
    EXPECT_LE(changed, 1);
    changed_total += changed;
  }
  EXPECT_GT(changed_total, 80);  // integer rounding may occasionally leave a value unchanged
}

TEST(SearchSpace, BadDefinitionsNameTheField) {
  auto message = [](const std::string& body) {
    try {
      SearchSpace::from_config(space_config(body));
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("  lr: {type: float, low: 0, high: 1, log: true}\n").find("space.lr"), std::string::npos);
  EXPECT_NE(message("  lr: {type: float, low: 0, high: 1, log: true}\n").find("log scale needs low > 0"),
            std::string::npos);
  EXPECT_NE(message("  x: {type: weird}\n").find("unknown type 'weird'"), std::string::npos);
  EXPECT_NE(message("  x: {type: int, low: 5, high: 1}\n").find("need low <= high"), std::string::npos);
  EXPECT_NE(message("  x: {type: categorical, choices: [a, b], default: c}\n").find("not one of the choices"),
            std::string::npos);
}

TEST(SearchSpace, ValidateRejectsBadConfigurations) {
  auto space = SearchSpace::from_config(space_config(kSpace));
  auto d = space.defaults();
  auto expect_error = [&](Assignment a, const char* what) {
    try {
      space.validate(a, "trial 3");
      ADD_FAILURE() << "accepted " << a.dump();
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    }
  };
  auto a = d;
  a["lr"] = 5.0;
  expect_error(a, "outside");
  a = d;
  a.erase("depth");
  expect_error(a, "'depth' is missing");
  a = d;
  a["depth"] = 1.5;
  expect_error(a, "is not of type int");
  a = d;
  a["extra"] = 1;
  expect_error(a, "unknown parameter 'extra'");
}

}  // namespace
}  // namespace metaevo::hpo
