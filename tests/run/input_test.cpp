// Input is refused before any work, as a new user would meet it: global flags after the
// subcommand, an empty or non-map config, a bad task name, a population that cannot fit in
// memory, a negative seed for every command.
#include <gtest/gtest.h>

#include <filesystem>

#include "../support/process.h"
#include "../support/scratch_dir.h"
#include "metaevo/core/atomic_file.h"
#include "metaevo/run/settings.h"

namespace {

namespace fs = std::filesystem;
using namespace metaevo::testing;

class Input : public ScratchDirTest {
 protected:
  Input() : ScratchDirTest("metaevo_input_") {}
  // Exit status; the error text is left in stderr().
  int run(std::vector<std::string> args) {
    args.insert(args.begin(), METAEVO_BINARY);
    return wait_for(spawn(args, {}, (dir_ / "stderr.txt").string()), 300);
  }
  std::string stderr_text() const { return metaevo::read_file((dir_ / "stderr.txt").string()); }
};

TEST_F(Input, GlobalFlagsGoBeforeOrAfterTheSubcommand) {
  const auto config = write("run.yaml",
                            "problem: {type: function, function: sphere, dim: 4}\n"
                            "strategy: {name: sep_cmaes, sigma: 0.5}\nrun: {generations: 2}\n");
  EXPECT_EQ(run({"--threads", "1", "es", "--config", config, "--output", (dir_ / "a").string()}), 0) << stderr_text();
  EXPECT_EQ(run({"es", "--config", config, "--output", (dir_ / "b").string(), "--threads", "1", "--log-level", "warn"}),
            0)
      << stderr_text();
  EXPECT_EQ(run({"bench", "es", "--population", "4", "--generations", "1", "--batch", "8", "--threads", "1"}), 0)
      << stderr_text();
}

TEST_F(Input, EmptyOrNonMapConfigIsAnError) {
  const auto empty = write("empty.yaml", "");
  EXPECT_EQ(run({"es", "--config", empty, "--output", (dir_ / "o").string()}), 2);
  EXPECT_NE(stderr_text().find("empty.yaml: the config is empty"), std::string::npos) << stderr_text();
  const auto list = write("list.yaml", "- seed: 1\n");
  EXPECT_EQ(run({"mlo", "--config", list, "--output", (dir_ / "o").string()}), 2);
  EXPECT_NE(stderr_text().find("list.yaml: the top level must be a mapping"), std::string::npos) << stderr_text();
  EXPECT_FALSE(fs::exists(dir_ / "o"));
}

TEST_F(Input, AnAgentWithAnUnknownClassTaskOrStoreIsRefusedBeforeAnyWork) {
  const std::string mnist = METAEVO_SOURCE_DIR "/data/mnist";
  const auto config =
      write("agent.yaml", "seed: 1\nroot: {task: mnist, validations: 50}\ndata: {mnist: \"" + mnist + "\"}\n");
  const auto out = dir_ / "out";
  EXPECT_EQ(run({"agent", "--config", config, "--output", out.string(), "--class", "nosuch", "--task", "mnist"}), 2);
  EXPECT_NE(stderr_text().find("unknown 'nosuch' (choose one of: finetune, multipath, munet"), std::string::npos)
      << stderr_text();
  EXPECT_EQ(run({"agent", "--config", config, "--output", out.string(), "--class", "munet", "--task", "nosuch:x"}), 2);
  EXPECT_NE(stderr_text().find("--task: data set 'nosuch:x': unknown 'nosuch'"), std::string::npos) << stderr_text();
  EXPECT_FALSE(fs::exists(out)) << "something was written before the error";
  // A server that does not answer: refused at once, before the root is pretrained.
  if (!fs::exists(mnist)) GTEST_SKIP() << "MNIST is not at " << mnist << " (scripts/setup.sh fetches it)";
  EXPECT_EQ(run({"agent", "--config", config, "--output", out.string(), "--class", "munet", "--task", "mnist",
                 "--storage", "postgresql://nobody@127.0.0.1:1/none"}),
            2);
  // A build without the PostgreSQL backend (-DMETAEVO_POSTGRES=OFF) refuses the URL as such.
  const std::string refusal = METAEVO_POSTGRES ? "agent system postgresql://nobody@127.0.0.1:1/none: cannot connect"
                                               : "postgresql://nobody@127.0.0.1:1/none: this metaevo was built "
                                                 "without PostgreSQL";
  EXPECT_NE(stderr_text().find(refusal), std::string::npos) << stderr_text();
}

TEST_F(Input, UnknownTaskIsRefusedBeforeAnythingIsPretrainedOrWritten) {
  // A root pretrained on MNIST would take minutes (and need the data) before the bad task came up.
  const auto config = write("evolve.yaml", "seed: 1\nroot: {task: mnist, validations: 50}\ntasks: [mnist-rot:90]\n");
  const auto out = dir_ / "out";
  EXPECT_EQ(run({"evolve", "--config", config, "--output", out.string(), "--add-task", "nosuch:thing"}), 2);
  EXPECT_NE(stderr_text().find("--add-task: data set 'nosuch:thing': unknown 'nosuch'"), std::string::npos)
      << stderr_text();
  EXPECT_FALSE(fs::exists(out)) << "something was written before the error";
  // A known type with an argument it cannot take is refused the same way.
  const auto bad_rotation =
      write("rot.yaml", "seed: 1\nroot: {task: mnist, validations: 50}\ntasks: [mnist-rot:400]\n");
  EXPECT_EQ(run({"evolve", "--config", bad_rotation, "--output", out.string()}), 2);
  EXPECT_NE(stderr_text().find("rot.yaml: tasks: data set 'mnist-rot:400'"), std::string::npos) << stderr_text();
  EXPECT_FALSE(fs::exists(out));
  // So is a data folder that is not there.
  const auto no_data = write("data.yaml",
                             "seed: 1\nroot: {task: mnist, validations: 50}\ntasks: [mnist-rot:90]\n"
                             "data: {mnist: /nonexistent/mnist}\n");
  EXPECT_EQ(run({"evolve", "--config", no_data, "--output", out.string()}), 2);
  EXPECT_NE(stderr_text().find("data.yaml: data: data set 'mnist-rot:90': no mnist data at /nonexistent/mnist"),
            std::string::npos)
      << stderr_text();
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(Input, GrowthSchedulesThatDoNotGrowAreRefusedBeforeAnyData) {
  // A data set that does not exist would fail when read: the schedule must be refused first.
  const std::string base =
      "data: {dataset: mnist, data_dir: /nonexistent}\nmodel: {hidden: 32, layers: 2}\n"
      "train: {steps: 100}\n";
  const auto out = dir_ / "out";
  const auto shrink = write("shrink.yaml", base + "schedule: [{at: 10, hidden: 16}]\n");
  EXPECT_EQ(run({"grow", "--config", shrink, "--output", out.string()}), 2);
  EXPECT_NE(stderr_text().find("shrink.yaml: schedule at step 10: hidden: 16 is not an expansion of 32"),
            std::string::npos)
      << stderr_text();
  const auto layer_norm = write("layer.yaml",
                                "data: {dataset: mnist, data_dir: /nonexistent}\n"
                                "model: {norm: layer}\ntrain: {steps: 100}\n"
                                "schedule: [{at: 10, hidden: 128}]\n");
  EXPECT_EQ(run({"grow", "--config", layer_norm, "--output", out.string()}), 2);
  EXPECT_NE(stderr_text().find("not function-preserving with norm: layer"), std::string::npos) << stderr_text();
  const auto late = write("late.yaml", base + "schedule: [{at: 100, layers: 3}]\n");
  EXPECT_EQ(run({"grow", "--config", late, "--output", out.string()}), 2);
  EXPECT_NE(stderr_text().find("late.yaml: schedule[0].at: must be within 1..99"), std::string::npos) << stderr_text();
  EXPECT_FALSE(fs::exists(out)) << "something was written before the error";
}

TEST_F(Input, PopulationBeyondTheMachineIsRefusedWithTheEstimate) {
  for (const char* strategy : {"sep_cmaes", "cmaes", "openai_es"}) {
    const auto config = write("big.yaml", fmt::format("problem: {{type: function, function: sphere, dim: 10}}\n"
                                                      "strategy: {{name: {}, sigma: 0.5, population: 2000000000}}\n"
                                                      "run: {{generations: 2}}\n",
                                                      strategy));
    EXPECT_EQ(run({"es", "--config", config, "--output", (dir_ / "o").string()}), 2) << strategy;
    EXPECT_NE(stderr_text().find("population: needs about"), std::string::npos) << stderr_text();
    EXPECT_NE(stderr_text().find("more than this machine's"), std::string::npos) << stderr_text();
    EXPECT_FALSE(fs::exists(dir_ / "o"));
  }
}

TEST_F(Input, EveryCommandReadsTheSeedOneWay) {
  // The seed is read (and refused) before the rest of the config, whatever else is in it.
  for (const char* command : {"es", "meta", "mlo", "tune", "evolve"}) {
    const auto config = write("seed.yaml", "seed: -4\n");
    EXPECT_EQ(run({command, "--config", config, "--output", (dir_ / "o").string()}), 2) << command;
    EXPECT_NE(stderr_text().find("seed.yaml: seed: must be >= 0, got -4"), std::string::npos)
        << command << ": " << stderr_text();
  }
}

TEST(Settings, FingerprintIgnoresKeyOrderButNotValues) {
  auto a = metaevo::Config::parse("seed: 1\nproblem: {b: 2, a: 1}\nrun: {generations: 5}\n", "a.yaml");
  auto b = metaevo::Config::parse("problem: {a: 1, b: 2}\nseed: 1\nrun: {generations: 9}\n", "b.yaml");
  auto c = metaevo::Config::parse("seed: 1\nproblem: {a: 1, b: 3}\n", "c.yaml");
  using metaevo::run::settings_fingerprint;
  EXPECT_EQ(settings_fingerprint(a, {"problem"}), settings_fingerprint(b, {"problem"}));
  EXPECT_NE(settings_fingerprint(a, {"problem"}), settings_fingerprint(c, {"problem"}));
  EXPECT_NE(settings_fingerprint(a, {"problem"}), settings_fingerprint(a, {"problem", "run"}));
  EXPECT_EQ(settings_fingerprint(a, {"problem.a"}), settings_fingerprint(c, {"problem.a"}));
}

}  // namespace
