#pragma once
// A data set that only the tests register: "quadrants", four classes told apart by which quadrant
// of a 32 x 32 image is bright, plus noise, and "quadrants:mirrored" (flipped left-right).
// Generated from Philox streams, so it needs no folder. Its one registration makes it a data set
// of every capability (tests/data/toy_dataset_test.cpp).
#include <torch/torch.h>

#include "metaevo/core/philox.h"
#include "metaevo/data/datasets.h"

namespace metaevo::testing {

/// `n` images [n, 1, 32, 32] (noise of sd 0.15 about 0, the class's quadrant 0.75 brighter) and labels.
inline data::Split quadrant_images(int64_t n, uint64_t seed) {
  const auto y = (philox_uniform({seed, 1, 0, 0}, n) * 4).to(torch::kInt64).clamp_max(3);
  const auto half = (torch::arange(32) >= 16).to(torch::kInt64);
  const auto row = torch::div(y, 2, "floor").view({n, 1, 1, 1}), col = torch::remainder(y, 2).view({n, 1, 1, 1});
  const auto bright = half.view({1, 1, 32, 1}).eq(row).logical_and(half.view({1, 1, 1, 32}).eq(col));
  return {philox_normal({seed, 2, 0, 0}, n * 32 * 32).view({n, 1, 32, 32}) * 0.15 + 0.75 * bright, y};
}

class QuadrantsSource : public data::DatasetSource {
 public:
  std::string folder() const override { return ""; }
  void check(const std::string& argument) const override {
    METAEVO_CHECK(argument.empty() || argument == "mirrored", "no variant '{}' (try quadrants:mirrored)", argument);
  }
  std::vector<std::string> available(const std::string& source, const std::string&) const override {
    return {source, source + ":mirrored"};
  }
  /// 128 training and 256 validation images in the pool, 256 test images.
  data::Examples read(const std::string& argument, const std::string&) const override {
    auto pool = quadrant_images(384, 1), test = quadrant_images(256, 3);
    if (argument == "mirrored")
      for (auto* split : {&pool, &test}) split->x = split->x.flip({3});
    return {pool, test, 4, 256, {}};
  }
};

inline const Registrar<data::DatasetRegistry> quadrants_registration("quadrants", [] {
  return std::make_unique<QuadrantsSource>();
});

}  // namespace metaevo::testing
