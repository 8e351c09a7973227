#include "metaevo/es/noise.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "metaevo/core/atomic_file.h"
#include "metaevo/es/population.h"

namespace metaevo::es {
namespace {

Layout two_tensor_layout() {
  Layout l;
  l.add("w", {6, 5});
  l.add("b", {6});
  return l;
}

}  // namespace

TEST(Noise, SegmentsUseIndependentStreams) {
  Noise noise(11, two_tensor_layout());
  auto z = noise.flat(3, 0, 1);
  auto w = z.narrow(1, 0, 30), b = z.narrow(1, 30, 6);
  // Reusing one stream across tensors would make b the prefix of w.
  EXPECT_FALSE(torch::allclose(w.narrow(1, 0, 6), b));
}

TEST(Noise, MemberIsRebuiltInAnotherProcess) {
  const auto path = (std::filesystem::temp_directory_path() / "metaevo_noise_child.pt").string();
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // Child: only the coordinates (seed, generation, member) cross the process boundary.
    Noise child(2024, two_tensor_layout(), 2);
    auto z = child.flat(/*generation=*/17, /*k0=*/5, /*k1=*/6).contiguous();
    write_file_atomic(path, std::string(static_cast<const char*>(z.data_ptr()), z.numel() * sizeof(float)));
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_EQ(WEXITSTATUS(status), 0);
  const auto bytes = read_file(path);
  Noise parent(2024, two_tensor_layout(), 2);
  auto z = parent.flat(17, 0, 8).select(0, 5).contiguous();
  ASSERT_EQ(bytes.size(), z.numel() * sizeof(float));
  EXPECT_EQ(0, std::memcmp(bytes.data(), z.data_ptr(), bytes.size()));
  std::filesystem::remove(path);
}

TEST(Noise, LowRankMatricesHaveUnitVarianceAndVectorsStayFullRank) {
  Noise noise(5, two_tensor_layout(), 3);
  auto w = noise.segment(0, 0, 0, 2000);  // [2000, 6, 5]
  EXPECT_NEAR(w.var().item<double>(), 1.0, 0.05);
  EXPECT_EQ(torch::linalg_matrix_rank(w[0]).item<int64_t>(), 3);
  auto b = noise.segment(0, 1, 0, 1);
  EXPECT_EQ(b.sizes(), (std::vector<int64_t>{1, 6}));
}

TEST(Noise, WeightedSumsMatchMaterialisedNoise) {
  for (int64_t rank : {0, 2}) {
    Noise noise(9, two_tensor_layout(), rank);
    auto w = torch::randn({37});
    auto z = noise.flat(4, 0, 37);
    EXPECT_TRUE(torch::allclose(noise.weighted_sum(4, w), torch::mv(z.t(), w), 1e-4, 1e-4)) << "rank " << rank;
    EXPECT_TRUE(torch::allclose(noise.weighted_sum_sq(4, w), torch::mv(z.square().t(), w), 1e-4, 1e-4));
  }
}

TEST(Noise, WeightedSumsSplitOverNoiseRanges) {
  // What processes sharing an update compute: partial sums over [0, 15) and [15, 37).
  for (int64_t rank : {0, 2}) {
    Noise noise(9, two_tensor_layout(), rank);
    auto w = torch::randn({37});
    auto head = w.narrow(0, 0, 15), tail = w.narrow(0, 15, 22);
    EXPECT_TRUE(torch::allclose(noise.weighted_sum(4, head) + noise.weighted_sum(4, tail, 15), noise.weighted_sum(4, w),
                                1e-5, 1e-5))
        << "rank " << rank;
    EXPECT_TRUE(torch::allclose(noise.weighted_sum_sq(4, head) + noise.weighted_sum_sq(4, tail, 15),
                                noise.weighted_sum_sq(4, w), 1e-5, 1e-5));
  }
}

TEST(Noise, WeightedSumsOverAParameterRangeAreThatSlice) {
  // What processes slicing an update compute: each its range of the parameters, from every
  // perturbation. Ranges start and end inside segments and matrix rows.
  for (int64_t rank : {0, 2}) {
    Noise noise(9, two_tensor_layout(), rank);
    auto w = torch::randn({37});
    const auto full = noise.weighted_sum(4, w), full_sq = noise.weighted_sum_sq(4, w);
    for (const auto& r : std::vector<FlatRange>{{0, 36}, {0, 13}, {13, 27}, {27, 36}, {7, 8}, {29, 33}, {5, 5}}) {
      const auto part = noise.weighted_sum(4, w, 0, r), part_sq = noise.weighted_sum_sq(4, w, 0, r);
      ASSERT_EQ(part.size(0), r.size());
      EXPECT_TRUE(torch::equal(part, full.narrow(0, r.begin, r.size())))
          << r.begin << ".." << r.end << ", rank " << rank;
      EXPECT_TRUE(torch::equal(part_sq, full_sq.narrow(0, r.begin, r.size())))
          << r.begin << ".." << r.end << ", rank " << rank;
    }
    // A segment's sums alone, and split over perturbations as processes do for low-rank segments.
    EXPECT_TRUE(torch::equal(noise.segment_sum(4, 0, w), full.narrow(0, 0, 30)));
    EXPECT_TRUE(torch::equal(noise.segment_sum(4, 1, w, 0, true), full_sq.narrow(0, 30, 6)));
    EXPECT_TRUE(
        torch::allclose(noise.segment_sum(4, 0, w.narrow(0, 0, 15)) + noise.segment_sum(4, 0, w.narrow(0, 15, 22), 15),
                        full.narrow(0, 0, 30), 1e-5, 1e-5));
  }
}

TEST(Population, MirroredMembersAndFolds) {
  Population pop;
  pop.generation = 2;
  pop.size = 4;
  pop.center = torch::ones({36});
  pop.sigma = torch::tensor(0.5f);
  pop.mirrored = true;
  pop.noise = std::make_shared<Noise>(1, two_tensor_layout());
  auto x = pop.members();
  EXPECT_TRUE(torch::allclose(x[0] + x[1], 2 * pop.center));
  EXPECT_TRUE(torch::allclose(x[2] - pop.center, 0.5 * pop.noise->flat(2, 1, 2)[0]));
  auto w = torch::tensor({1.0, 2.0, 3.0, 5.0});
  EXPECT_TRUE(torch::equal(pop.fold_signed(w), torch::tensor({-1.0, -2.0})));
  EXPECT_TRUE(torch::equal(pop.fold(w), torch::tensor({3.0, 8.0})));
}

}  // namespace metaevo::es
