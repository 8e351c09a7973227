#include "metaevo/munet/system_store.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "../data/test_files.h"
#include "../support/munet_tasks.h"
#include "../support/process.h"
#include "../support/stores.h"
#include "metaevo/core/atomic_file.h"
#include "metaevo/core/error.h"
#include "metaevo/data/idx.h"

namespace metaevo::munet {
namespace {

namespace fs = std::filesystem;

struct Recipe {
  TrainOptions train;
  EvolutionOptions evolution;
  HparamSpace space = HparamSpace::reference(2);
  Recipe() {
    train.batch_size = 32;
    train.validations = 2;
    train.batches_between_validations = 5;
    evolution.children = 2;
    space.defaults["opt_lr"] = 0.05;
  }
  /// Every child grows its own copy of block 1, so the stored system holds grown shapes.
  Population population() const {
    MutationOptions m;
    m.forced = {"clone:encoder_norm", "clone:encoderblock_1", "grow:mlp_dim:encoderblock_1",
                "grow:heads:encoderblock_1"};
    m.grow = {{"mlp_dim", {48, 64}}, {"heads", {3, 4}}};
    return Population(testing::small_vit(), space, m, 4);
  }
};

class MunetSystemStore : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { METAEVO_REQUIRE_BACKEND(GetParam()); }
};

TEST_P(MunetSystemStore, ResumedSystemContinuesExactlyAsTheUninterruptedOne) {
  const auto dir = fs::temp_directory_path() / ("metaevo_munet_store_" + GetParam());
  fs::remove_all(dir);
  fs::create_directories(dir);
  const auto location = testing::fresh_store(GetParam(), dir, "system");
  Recipe s;
  auto a = testing::quadrants(128), b = testing::quadrants(128);
  b.name = "mirrored";
  for (auto* split : {&b.train, &b.valid, &b.test}) split->x = split->x.flip({3});

  auto whole = s.population();
  const Scorer scorer({}, *whole.root(), whole.vit());
  std::vector<TaskIteration> history;
  history.push_back(run_task_iteration(whole, a, scorer, s.evolution, s.train, 9, 0));
  history.push_back(run_task_iteration(whole, b, scorer, s.evolution, s.train, 9, 1));
  {
    SystemStore store(location);
    store.check_settings("seed 9", {{"seed", 9}});
    store.save(whole, history);
  }
  const auto third = run_task_iteration(whole, a, scorer, s.evolution, s.train, 9, 2);

  auto resumed = s.population();
  std::vector<TaskIteration> loaded;
  SystemStore store(location);
  store.check_settings("seed 9", {{"seed", 9}});
  ASSERT_TRUE(store.load(resumed, loaded));
  ASSERT_EQ(loaded.size(), 2u);
  EXPECT_EQ(loaded[1].to_json(), history[1].to_json());
  {
    // Sharing survives the round trip: a component in two paths is still one object.
    const auto& m = *resumed.paths("mirrored")[0];
    const auto& first = *resumed.paths("quadrants")[0];
    int shared = 0;
    for (const auto& [name, c] : m.components)
      if (c->locks().count("quadrants")) {
        EXPECT_EQ(c.get(), first.components.at(name).get()) << name;
        ++shared;
      }
    EXPECT_GT(shared, 0);
  }
  const Scorer rescored({}, *resumed.root(), resumed.vit());
  const auto again = run_task_iteration(resumed, a, rescored, s.evolution, s.train, 9, 2);
  EXPECT_EQ(again.to_json(), third.to_json());
  const auto& p = *whole.paths("quadrants")[0];
  const auto& q = *resumed.paths("quadrants")[0];
  EXPECT_EQ(p.id, q.id);
  EXPECT_EQ(q.components.at("encoderblock_1")->tensors()[8].size(0), 64);  // grown twice, stored, loaded
  for (const auto& [name, c] : p.components) {
    ASSERT_TRUE(q.components.count(name)) << name;
    EXPECT_EQ(c->locks(), q.components.at(name)->locks()) << name;
    for (size_t i = 0; i < c->tensors().size(); ++i)
      EXPECT_TRUE(torch::equal(c->tensors()[i], q.components.at(name)->tensors()[i])) << name;
  }
  EXPECT_EQ(store.settings(), nlohmann::json({{"seed", 9}}));
  EXPECT_THROW(store.check_settings("seed 10", {{"seed", 10}}), Error);
  fs::remove_all(dir);
}

METAEVO_BACKENDS(MunetSystemStore);

/// An empty folder `dir` holding c.yaml: a tiny system grown on one MNIST task (`mnist`: its data).
std::string tiny_evolve_config(const fs::path& dir, const std::string& mnist) {
  fs::remove_all(dir);
  fs::create_directories(dir);
  const auto config = (dir / "c.yaml").string();
  write_file_atomic(config,
                    "seed: 2\nvit: {width: 16, heads: 2, mlp_dim: 32, depth: 2}\n"
                    "train: {batch_size: 32, validations: 1, batches_between_validations: 5, validation_batches: 2}\n"
                    "evolution: {children: 2}\ntasks: [mnist-rot:90]\ndata: {mnist: '" +
                        mnist + "'}\n");
  return config;
}

TEST(EvolveCommand, GrowsResumesExtendsAndReports) {
  const std::string mnist = METAEVO_SOURCE_DIR "/data/mnist";
  if (!fs::exists(mnist)) GTEST_SKIP() << mnist << " not found (scripts/setup.sh fetches it)";
  const auto dir = fs::temp_directory_path() / "metaevo_evolve_cli";
  const auto config = tiny_evolve_config(dir, mnist);
  const auto out = (dir / "run").string();
  ASSERT_EQ(testing::run_cli({"evolve", "--config", config, "--output", out}), 0);
  const auto first = nlohmann::json::parse(read_file((fs::path(out) / "results.json").string()));
  ASSERT_EQ(first["iterations"].size(), 1u);
  // A rerun has nothing left to do; --add-task extends the same system.
  ASSERT_EQ(testing::run_cli({"evolve", "--config", config, "--output", out}), 0);
  ASSERT_EQ(testing::run_cli({"evolve", "--config", config, "--output", out, "--add-task", "mnist-perm:1"}), 0);
  const auto second = nlohmann::json::parse(read_file((fs::path(out) / "results.json").string()));
  ASSERT_EQ(second["iterations"].size(), 2u);
  EXPECT_EQ(second["iterations"][0], first["iterations"][0]);
  EXPECT_EQ(second["tasks"].size(), 2u);
  EXPECT_NE(read_file((fs::path(out) / "report.html").string()).find("mnist-perm:1"), std::string::npos);
  EXPECT_EQ(testing::run_cli({"evolve", "status", "--output", out}), 0);
  // Another ViT is another system.
  EXPECT_NE(testing::run_cli({"evolve", "--config", config, "--output", out, "--set", "vit.width=24"}), 0);
  EXPECT_NE(testing::run_cli({"evolve", "--config", config, "--output", out, "--set", "device=tpu"}), 0);

  // predict runs the stored path: on the rotated test images (written as an IDX file) its
  // predictions score the test accuracy the evolution measured.
  const auto images = data::read_idx(mnist + "/t10k-images-idx3-ubyte").rot90(1, {1, 2}).contiguous();
  const auto labels = data::read_idx(mnist + "/t10k-labels-idx1-ubyte");
  const auto* pixels = images.data_ptr<uint8_t>();
  data::test::write_file((dir / "rotated.idx").string(),
                         data::test::idx_bytes({10000, 28, 28}, {pixels, pixels + images.numel()}));
  // The first image also as a PNG: the other input format, read to the same pixels.
  data::test::write_file((dir / "first.png").string(),
                         data::test::encode_png({pixels, pixels + 28 * 28}, 28, 28, 8, PNG_COLOR_TYPE_GRAY));
  const auto csv = (dir / "predictions.csv").string();
  ASSERT_EQ(
      testing::run_cli({"predict", "--system", out + "/system.db", "--task", "mnist-rot:90", "--input",
                        (dir / "rotated.idx").string(), "--input", (dir / "first.png").string(), "--output", csv}),
      0);
  std::istringstream rows(read_file(csv));
  std::string row;
  std::getline(rows, row);
  EXPECT_EQ(row, "input,index,class,probability");
  int64_t n = 0, right = 0;
  std::string first_row;
  while (std::getline(rows, row) && n < 10000) {
    const auto fields = row.substr(row.find(',') + 1);
    EXPECT_EQ(std::stoll(fields.substr(0, fields.find(','))), n);
    right += std::stoll(fields.substr(fields.find(',') + 1)) == labels[n].item<int64_t>();
    if (n++ == 0) first_row = fields;
  }
  EXPECT_EQ(n, 10000);
  EXPECT_EQ(row.substr(row.find(',') + 1), first_row);  // the PNG's row: same class and probability
  double test_accuracy = -1;
  for (const auto& t : second["tasks"])
    if (t["task"] == "mnist-rot:90") test_accuracy = t["test_accuracy"];
  EXPECT_NEAR(double(right) / double(n), test_accuracy, 1e-9);
  EXPECT_NE(testing::run_cli({"predict", "--system", out + "/system.db", "--task", "mnist", "--input", csv}), 0);
  EXPECT_NE(testing::run_cli({"predict", "--system", out + "/system.db", "--task", "mnist-rot:90", "--device", "tpu",
                              "--input", (dir / "first.png").string()}),
            0);

  // A baseline over a pretrained root, through the same command.
  const auto base = (dir / "base").string();
  ASSERT_EQ(testing::run_cli({"evolve", "--config", config, "--output", base, "--set", "baseline.kind=adapters",
                              "--set", "root.task=mnist", "--set", "root.validations=1", "--set",
                              "root.batches_between_validations=3"}),
            0);
  const auto baseline = nlohmann::json::parse(read_file((fs::path(base) / "results.json").string()));
  EXPECT_EQ(baseline["pretrain"]["steps"], 3);
  ASSERT_EQ(baseline["iterations"].size(), 1u);
  EXPECT_EQ(baseline["iterations"][0]["children"], 1);
  // The adapters' parameters come on top of the root's.
  EXPECT_GT(baseline["tasks"][0]["total_params"].get<double>(), second["tasks"][0]["total_params"].get<double>());
  fs::remove_all(dir);
}

TEST(EvolveCommand, ASystemOnPostgresqlIsGrownReadAndMovedWithoutShowingThePassword) {
  METAEVO_REQUIRE_BACKEND(std::string("postgresql"));
  const std::string mnist = METAEVO_SOURCE_DIR "/data/mnist";
  if (!fs::exists(mnist)) GTEST_SKIP() << mnist << " not found (scripts/setup.sh fetches it)";
  const auto dir = fs::temp_directory_path() / "metaevo_evolve_postgresql";
  const auto config = tiny_evolve_config(dir, mnist);
  // The config names the server with its password, as a user might.
  const auto server = testing::fresh_store("postgresql", dir, "evolve");
  const std::string password = std::getenv("PGPASSWORD");
  const auto with_password = std::string(server).insert(server.find("metaevo@") + 7, ":" + password);
  const auto out = (dir / "run").string(), log = (dir / "evolve.log").string();
  ASSERT_EQ(testing::wait_for(testing::spawn({METAEVO_BINARY, "evolve", "--config", config, "--output", out, "--set",
                                              "storage=" + with_password},
                                             {}, log, log),
                              600),
            0)
      << read_file(log);
  EXPECT_FALSE(fs::exists(fs::path(out) / "system.db"));
  for (const auto& written : {log, out + "/report.html", out + "/results.json"})
    EXPECT_EQ(read_file(written).find(password), std::string::npos) << written << " shows the password";
  EXPECT_EQ(testing::run_cli({"evolve", "status", "--storage", server}), 0);

  // predict reads the system from the server, and from a file after storage migrate, alike.
  const auto png = (dir / "blank.png").string();
  data::test::write_file(png, data::test::encode_png(std::vector<uint8_t>(28 * 28, 0), 28, 28, 8, PNG_COLOR_TYPE_GRAY));
  const auto moved = (dir / "moved.db").string();
  ASSERT_EQ(testing::run_cli({"storage", "migrate", "--from", server, "--to", moved}), 0);
  std::vector<std::string> predictions;
  for (const auto& system : {server, moved}) {
    const auto csv = (dir / ("p" + std::to_string(predictions.size()) + ".csv")).string();
    ASSERT_EQ(
        testing::run_cli({"predict", "--system", system, "--task", "mnist-rot:90", "--input", png, "--output", csv}),
        0);
    predictions.push_back(read_file(csv));
  }
  EXPECT_EQ(predictions[0], predictions[1]);
  // Run again on the server: nothing left to do.
  EXPECT_EQ(testing::run_cli({"evolve", "--config", config, "--output", out, "--storage", server}), 0);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace metaevo::munet
