// Episode sampling on the real Omniglot splits, and the prototype / distance arithmetic.
#include "metaevo/meta/episodes.h"

#include <gtest/gtest.h>

#include <set>

#include "../support/omniglot.h"
#include "metaevo/meta/protonet.h"

namespace metaevo::meta {
namespace {

std::vector<data::OmniglotClass> split(const std::string& name) {
  return data::read_vinyals_split(data::vinyals_split_path(testing::omniglot_dir(), name));
}

TEST(Episodes, SplitsShareNoCharacter) {
  SKIP_WITHOUT_OMNIGLOT();
  std::set<std::string> train, val, test;
  for (const auto& c : split("train")) train.insert(c.character);
  for (const auto& c : split("val")) val.insert(c.character);
  for (const auto& c : split("test")) test.insert(c.character);
  for (const auto& c : test) {
    EXPECT_FALSE(train.count(c)) << c;
    EXPECT_FALSE(val.count(c)) << c;
  }
  for (const auto& c : val) EXPECT_FALSE(train.count(c)) << c;
}

TEST(Episodes, ShapesLabelsDistinctClassesAndImages) {
  SKIP_WITHOUT_OMNIGLOT();
  EpisodeOptions o;
  o.ways = 20;
  o.shots = 5;
  o.queries = 15;  // 20 images per class: all of them
  const auto classes = split("test");
  EpisodeSampler sampler(testing::omniglot(), classes, o, 1);
  EXPECT_EQ(sampler.num_classes(), int64_t(classes.size()));
  for (int64_t i = 0; i < 5; ++i) {
    const auto e = sampler.episode(i);
    ASSERT_EQ(e.support.sizes(), (std::vector<int64_t>{100, 1, 28, 28}));
    ASSERT_EQ(e.query.sizes(), (std::vector<int64_t>{300, 1, 28, 28}));
    EXPECT_TRUE(torch::equal(e.query_labels, torch::arange(20).repeat_interleave(15)));
    EXPECT_EQ(std::set<int64_t>(e.classes.begin(), e.classes.end()).size(), 20u);
    // Within a class, support and query images are 20 distinct drawings.
    for (int64_t c = 0; c < 20; ++c) {
      auto all = torch::cat({e.support.narrow(0, c * 5, 5), e.query.narrow(0, c * 15, 15)}).flatten(1);
      for (int64_t a = 0; a < 20; ++a)
        for (int64_t b = a + 1; b < 20; ++b) EXPECT_FALSE(torch::equal(all[a], all[b])) << c << " " << a << " " << b;
    }
  }
}

TEST(Episodes, DeterministicPerSeedAndIndex) {
  SKIP_WITHOUT_OMNIGLOT();
  EpisodeOptions o;
  const auto classes = split("val");
  EpisodeSampler a(testing::omniglot(), classes, o, 7), b(testing::omniglot(), classes, o, 7),
      other(testing::omniglot(), classes, o, 8);
  EXPECT_TRUE(torch::equal(a.episode(3).support, b.episode(3).support));
  EXPECT_TRUE(torch::equal(a.episode(3).query, b.episode(3).query));
  EXPECT_FALSE(torch::equal(a.episode(3).support, a.episode(4).support));
  EXPECT_FALSE(torch::equal(a.episode(3).support, other.episode(3).support));
}

TEST(Episodes, TooFewImagesIsAnError) {
  SKIP_WITHOUT_OMNIGLOT();
  EpisodeOptions o;
  o.shots = 10;
  o.queries = 11;
  EXPECT_THROW(EpisodeSampler(testing::omniglot(), split("val"), o, 1), Error);
}

TEST(SampleDistinct, PermutationPrefix) {
  const float u[5] = {0.99f, 0.0f, 0.5f, 0.999999f, 0.2f};
  const auto v = sample_distinct(5, 5, u);
  EXPECT_EQ(std::set<int64_t>(v.begin(), v.end()).size(), 5u);
  EXPECT_EQ(v[0], 4);  // 0.99 * 5 -> position 4
  EXPECT_THROW(sample_distinct(3, 4, u), Error);
}

TEST(ProtoNet, PrototypesAndLogitsByHand) {
  // Two classes, two shots, 2-D embeddings.
  auto support = torch::tensor({{0.f, 0.f}, {2.f, 0.f}, {0.f, 4.f}, {0.f, 6.f}});
  auto protos = prototypes(support, 2);
  EXPECT_TRUE(torch::equal(protos, torch::tensor({{1.f, 0.f}, {0.f, 5.f}})));
  auto query = torch::tensor({{1.f, 1.f}});
  // Squared distances: to (1,0): 1; to (0,5): 1 + 16 = 17.
  EXPECT_TRUE(torch::equal(proto_logits(query, protos), torch::tensor({{-1.f, -17.f}})));
  // Leading batch dimensions (population members) are kept.
  auto batched = proto_logits(query.expand({3, 1, 2}), prototypes(support.expand({3, 4, 2}), 2));
  EXPECT_EQ(batched.sizes(), (std::vector<int64_t>{3, 1, 2}));
  EXPECT_THROW(prototypes(support, 3), Error);
}

TEST(ProtoNet, Conv4EmbedsTo64Features) {
  auto net = make_conv4(1, 64, 0);
  EXPECT_EQ(net->forward(torch::rand({2, 1, 28, 28})).sizes(), (std::vector<int64_t>{2, 64}));
}

}  // namespace
}  // namespace metaevo::meta
