// Prototype classification of folder images and the model read back from a run folder.
#include "metaevo/meta/classify.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "../support/errors.h"
#include "../support/scratch_dir.h"
#include "metaevo/core/error.h"
#include "metaevo/meta/protonet.h"
#include "metaevo/meta/trained_protonet.h"
#include "metaevo/models/zoo.h"
#include "metaevo/run/weights.h"

namespace metaevo::meta {
namespace {

const torch::Device kCpu(torch::kCPU);

TEST(Classify, EqualsThePrototypeDistancesOfTheSameTensors) {
  torch::manual_seed(0);
  auto encoder = models::make_conv4(1, 8, 3);
  const int64_t ways = 4, shots = 3, queries = 10;
  const auto support = torch::rand({ways * shots, 1, 28, 28});
  const auto labels = torch::arange(ways, torch::kInt64).repeat_interleave(shots);  // class-major
  const auto query = torch::rand({queries, 1, 28, 28});
  const auto r = classify(encoder, support, labels, ways, query, /*batch=*/queries, kCpu);

  // By hand: one forward pass on support and queries, batch-norm on their statistics.
  torch::NoGradGuard no_grad;
  encoder->train();
  const auto emb = encoder->forward(torch::cat({support, query}));
  const auto logits =
      proto_logits(emb.narrow(0, ways * shots, queries), prototypes(emb.narrow(0, 0, ways * shots), ways));
  EXPECT_TRUE(torch::allclose(r.distances, -logits, 1e-5, 1e-5));
  EXPECT_TRUE(torch::allclose(r.probabilities, torch::softmax(logits, 1), 1e-6, 1e-6));
  EXPECT_TRUE(torch::equal(r.predicted, logits.argmax(1)));

  // Two batches: each is the support with its own queries.
  const auto halves = classify(encoder, support, labels, ways, query, /*batch=*/5, kCpu);
  for (int64_t b = 0; b < 2; ++b) {
    const auto q = query.narrow(0, 5 * b, 5);
    const auto e = encoder->forward(torch::cat({support, q}));
    const auto l = proto_logits(e.narrow(0, ways * shots, 5), prototypes(e.narrow(0, 0, ways * shots), ways));
    EXPECT_TRUE(torch::allclose(halves.distances.narrow(0, 5 * b, 5), -l, 1e-5, 1e-5)) << "batch " << b;
  }
}

TEST(Classify, UnequalShotsAndMissingClasses) {
  auto encoder = models::make_conv4(1, 8, 3);
  const auto support = torch::rand({5, 1, 28, 28});
  const auto labels = torch::tensor({0, 0, 0, 1, 1}, torch::kInt64);
  const auto query = torch::rand({3, 1, 28, 28});
  const auto r = classify(encoder, support, labels, 2, query, 3, kCpu);
  torch::NoGradGuard no_grad;
  const auto emb = encoder->forward(torch::cat({support, query}));
  const auto protos = torch::stack({emb.narrow(0, 0, 3).mean(0), emb.narrow(0, 3, 2).mean(0)});
  EXPECT_TRUE(torch::allclose(r.distances, -proto_logits(emb.narrow(0, 5, 3), protos), 1e-5, 1e-5));
  EXPECT_THROW(classify(encoder, support, labels, 3, query, 3, kCpu), Error) << "class 2 has no support image";
}

class TrainedProtoNetTest : public testing::ScratchDirTest {
 protected:
  TrainedProtoNetTest() : ScratchDirTest("metaevo_trained_protonet_") {}
};

TEST_F(TrainedProtoNetTest, ReadsEitherTrainersRunAndRefusesOthers) {
  const auto run = dir_.string();
  const auto trained = models::make_conv4(1, 8, 11);
  run::save_state_dict(*trained, (dir_ / "weights.pt").string());
  write("config.yaml", "trainer: es\nproblem: {type: few_shot, channels: 8, ways: 5, queries: 15}\n");
  const auto model = load_trained_protonet(run, kCpu);
  EXPECT_EQ(model.options.channels, 8);
  const auto a = trained->parameters(), b = model.encoder->parameters();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << "parameter " << i;

  // Weights of another model (other widths) name the weights file.
  write("config.yaml", "trainer: backprop\nproblem: {type: few_shot, channels: 16}\n");
  EXPECT_NE(testing::error_of([&] { load_trained_protonet(run, kCpu); }).find("weights.pt: '0.weight' has shape"),
            std::string::npos);
  // A run of another command names its config.
  write("config.yaml", "problem: {type: classification, dataset: mnist}\n");
  EXPECT_NE(testing::error_of([&] {
              load_trained_protonet(run, kCpu);
            }).find("config.yaml: problem.type is 'classification'"),
            std::string::npos);
  std::filesystem::remove(dir_ / "config.yaml");
  EXPECT_NE(testing::error_of([&] { load_trained_protonet(run, kCpu); }).find("not the output folder of metaevo meta"),
            std::string::npos);
  write("config.yaml", "problem: {type: few_shot, channels: 8}\n");
  std::filesystem::remove(dir_ / "weights.pt");
  EXPECT_NE(testing::error_of([&] { load_trained_protonet(run, kCpu); }).find("has not finished"), std::string::npos);
  write("weights.pt", "garbage");
  EXPECT_NE(testing::error_of([&] { load_trained_protonet(run, kCpu); }).find("weights.pt: not a weights file"),
            std::string::npos);
}

}  // namespace
}  // namespace metaevo::meta
