// Episode sampling over a split's classes: on the real Omniglot Vinyals splits, and on any labels.
#include "metaevo/data/episodes.h"

#include <gtest/gtest.h>

#include <set>

#include "../support/omniglot.h"
#include "metaevo/data/datasets.h"

namespace metaevo::data {
namespace {

std::vector<OmniglotClass> split(const std::string& name) {
  return read_vinyals_split(vinyals_split_path(testing::omniglot_dir(), name));
}

const Splits& vinyals() {
  static const Splits splits = load_dataset("omniglot-vinyals", {{"omniglot", testing::omniglot_dir()}});
  return splits;
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
  EpisodeSampler sampler(vinyals().test, o, 1);
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
  EpisodeSampler a(vinyals().valid, o, 7), b(vinyals().valid, o, 7), other(vinyals().valid, o, 8);
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
  EXPECT_THROW(EpisodeSampler(vinyals().valid, o, 1), Error);
}

TEST(Episodes, GroupAnySplitByItsLabels) {
  // Example i is the number i; labels in no particular order, four examples per class.
  const Split examples{torch::arange(12, torch::kFloat32).view({12, 1}),
                       torch::tensor({2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1}, torch::kInt64)};
  EpisodeOptions o;
  o.ways = 3;
  o.shots = 1;
  o.queries = 2;
  const EpisodeSampler sampler(examples, o, 5);
  EXPECT_EQ(sampler.num_classes(), 3);
  for (int64_t i = 0; i < 4; ++i) {
    const auto e = sampler.episode(i);
    for (int64_t c = 0; c < 3; ++c) {
      const auto label = e.classes[size_t(c)];  // classes are the labels, ascending
      EXPECT_EQ(examples.y[e.support[c][0].item<int64_t>()].item<int64_t>(), label);
      for (int64_t q = 0; q < 2; ++q)
        EXPECT_EQ(examples.y[e.query[c * 2 + q][0].item<int64_t>()].item<int64_t>(), label);
    }
  }
}

TEST(Episodes, ClassesOfDifferentSizes) {
  // Example i is the number i: class 0 holds 0-1, class 1 holds 2-6, class 2 holds 7-9.
  const Split uneven{torch::arange(10, torch::kFloat32).view({10, 1}),
                     torch::tensor({0, 0, 1, 1, 1, 1, 1, 2, 2, 2}, torch::kInt64)};
  const EpisodeSampler sampler(uneven, {3, 1, 1}, 3);
  for (int64_t i = 0; i < 20; ++i) {
    const auto e = sampler.episode(i);
    for (int64_t c = 0; c < 3; ++c) {
      const auto label = e.classes[size_t(c)];
      EXPECT_EQ(uneven.y[e.support[c][0].item<int64_t>()].item<int64_t>(), label);
      EXPECT_EQ(uneven.y[e.query[c][0].item<int64_t>()].item<int64_t>(), label);
      EXPECT_NE(e.support[c][0].item<int64_t>(), e.query[c][0].item<int64_t>());
    }
  }
  try {
    EpisodeSampler(uneven, {2, 2, 1}, 1, {"alpha", "beta", "gamma"});
    ADD_FAILURE() << "a class with 2 images cannot give 2 shots and 1 query";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("class 'alpha' has 2 examples"), std::string::npos) << e.what();
  }
}

std::string alphabet(const std::string& class_name) { return class_name.substr(0, class_name.find('/')); }

TEST(Episodes, OfficialBackgroundSplitAndWithinAlphabetEpisodes) {
  SKIP_WITHOUT_OMNIGLOT();
  std::set<std::string> background, evaluation;
  for (const auto& c : testing::omniglot().characters()) (c.background ? background : evaluation).insert(c.alphabet);
  const auto splits = load_dataset("omniglot-background:rotations", {{"omniglot", testing::omniglot_dir()}});
  ASSERT_EQ(int64_t(splits.class_names.size()), splits.classes);
  auto alphabets = [&](const Split& split) {
    std::set<std::string> out;
    const auto labels = split.y.contiguous();
    for (int64_t i = 0; i < labels.numel(); ++i)
      out.insert(alphabet(splits.class_names[size_t(labels.data_ptr<int64_t>()[i])]));
    return out;
  };
  const auto train = alphabets(splits.train), valid = alphabets(splits.valid), test = alphabets(splits.test);
  // Nothing of the evaluation set trains or validates; the test is the whole evaluation set.
  for (const auto& a : train) EXPECT_TRUE(background.count(a)) << a;
  for (const auto& a : valid) EXPECT_TRUE(background.count(a) && !train.count(a)) << a;
  EXPECT_EQ(test, evaluation);
  EXPECT_EQ(valid.size(), 5u);
  EXPECT_EQ(train.size(), background.size() - 5);
  EXPECT_EQ(splits.test.size(), 659 * 20);
  EXPECT_EQ(splits.train.size() % (4 * 20), 0) << "four rotations of each training character";

  // Lake et al.'s one-shot task: every episode's 20 characters from one evaluation alphabet.
  EpisodeSampler sampler(splits.test, {20, 1, 1}, 3, splits.class_names);
  sampler.within_groups();
  std::set<std::string> seen;
  for (int64_t i = 0; i < 30; ++i) {
    const auto e = sampler.episode(i);
    std::set<std::string> in_episode;
    for (auto c : e.classes) in_episode.insert(alphabet(sampler.class_name(c)));
    EXPECT_EQ(in_episode.size(), 1u) << "episode " << i;
    seen.insert(in_episode.begin(), in_episode.end());
  }
  EXPECT_GT(seen.size(), 5u) << "episodes come from many alphabets";
  EpisodeSampler too_wide(splits.test, {60, 1, 1}, 3, splits.class_names);
  EXPECT_THROW(too_wide.within_groups(), Error);
}

TEST(SampleDistinct, PermutationPrefix) {
  const float u[5] = {0.99f, 0.0f, 0.5f, 0.999999f, 0.2f};
  const auto v = sample_distinct(5, 5, u);
  EXPECT_EQ(std::set<int64_t>(v.begin(), v.end()).size(), 5u);
  EXPECT_EQ(v[0], 4);  // 0.99 * 5 -> position 4
  EXPECT_THROW(sample_distinct(3, 4, u), Error);
}

}  // namespace
}  // namespace metaevo::data
