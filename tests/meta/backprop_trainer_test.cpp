// The backprop ProtoNet trainer learns on tiny episodes and resumes where it stopped.
#include "metaevo/meta/backprop_trainer.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "../support/omniglot.h"

namespace metaevo::meta {
namespace {

namespace fs = std::filesystem;

FewShotOptions tiny_backprop_data() {
  FewShotOptions o;
  o.data_dir = testing::omniglot_dir();
  o.shots = 1;
  o.queries = 5;
  o.channels = 8;
  o.val_episodes = 200;
  return o;
}

BackpropOptions steps(int64_t episodes) {
  BackpropOptions b;
  b.lr = 0.005;
  b.episodes = episodes;
  b.val_every = 1000;
  b.checkpoint_every = 1;
  return b;
}

TEST(BackpropProtoNet, TinyRunImprovesValidationAccuracy) {
  SKIP_WITHOUT_OMNIGLOT();
  BackpropTrainer trainer(tiny_backprop_data(), steps(150), 1);
  const double before = trainer.validation_accuracy().mean;
  const auto last = trainer.run();
  const double after = last["val_acc"];
  std::cout << "[ info     ] 5-way 1-shot validation accuracy " << before << " -> " << after << "\n";
  EXPECT_EQ(last["episode"], 150);
  EXPECT_GT(after, before + 0.1);
  EXPECT_GT(last["val_ci95"].get<double>(), 0.0);
}

TEST(BackpropProtoNet, ResumedRunMatchesUninterrupted) {
  SKIP_WITHOUT_OMNIGLOT();
  auto o = tiny_backprop_data();
  o.val_episodes = 5;
  const auto dir = fs::temp_directory_path() / "metaevo_backprop_resume";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const auto checkpoint = (dir / "checkpoint.pt").string();

  BackpropTrainer whole(o, steps(6), 3);
  whole.run();
  BackpropTrainer first(o, steps(3), 3);
  first.set_checkpoint({checkpoint, "protonet-backprop", "tiny"});
  first.run();
  BackpropTrainer second(o, steps(6), 3);
  second.set_checkpoint({checkpoint, "protonet-backprop", "tiny"});
  ASSERT_TRUE(second.resume());
  EXPECT_EQ(second.episode(), 3);
  second.run();
  auto a = whole.encoder()->parameters(), b = second.encoder()->parameters();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << "parameter " << i;

  BackpropTrainer other(o, steps(6), 3);
  other.set_checkpoint({checkpoint, "protonet-backprop", "other settings"});
  EXPECT_THROW(other.resume(), Error);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace metaevo::meta
