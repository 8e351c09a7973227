// The shared store of a multi-agent system: an agent cannot change what another owns, a
// publication is written whole or not at all, a parent its owner retired falls back to the root, a
// copy of another agent's component keeps naming it, every published path re-evaluates to the
// test accuracy it was published with, and a system made with other settings is refused.
#include "metaevo/munet/agents/agent_store.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "../../support/agent_systems.h"
#include "../../support/errors.h"
#include "../../support/stores.h"
#include "metaevo/core/philox.h"
#include "metaevo/munet/agents/agent.h"
#include "metaevo/storage/database.h"

namespace metaevo::munet {
namespace {

namespace fs = std::filesystem;

class AgentStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    METAEVO_REQUIRE_BACKEND(GetParam());
    dir_ = fs::temp_directory_path() / ("metaevo_agent_store_" + GetParam() + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    location_ = testing::fresh_store(GetParam(), dir_, "agents");
    store_ = std::make_unique<AgentStore>(location_);
    prepare_agent_system(*store_, system_, dir_.string());
  }
  /// Runs `cls`/`task.name` until it has published `cycles` cycles.
  AgentRun run(const std::string& cls, const data::Splits& task, int64_t cycles) {
    AgentOptions o;
    o.cycles = cycles;
    o.generations = 2;
    o.max_population = 2;
    return run_agent(system_, o, cls, *testing::agent_class(cls), task, *store_, (dir_ / cls / task.name).string());
  }
  int64_t count(const std::string& sql, const std::string& owner) {
    storage::Database db(location_);
    return db.one(sql, {owner})->integer(0);
  }

  EvolveSettings system_ = testing::tiny_agent_system();
  fs::path dir_;
  std::string location_;
  std::unique_ptr<AgentStore> store_;
};

TEST_P(AgentStoreTest, AnAgentCannotChangeWhatAnotherOwns) {
  const auto quadrants = testing::quadrants(128);
  const auto a = run("munet", quadrants, 1);
  ASSERT_TRUE(a.best);
  const std::string b = "munet/mirrored";
  const int64_t lo = store_->register_agent(b) << kOwnerShift;
  const auto view = store_->load(b, torch::kCPU);
  const auto published = view.published.at("munet/quadrants").at(0);

  // B's path holding A's published component unchanged is accepted.
  auto path = std::make_shared<Path>(*published);
  path->id = lo + 1;
  path->task = "mirrored";
  path->parent = published;
  EXPECT_NO_THROW(store_->save(b, {0, 1, {path}, lo + 2, view.cycles, {}}));

  // ... but not once B's copy of it has changed.
  ComponentPtr foreign;
  for (const auto& [name, c] : path->components)
    if (store_->owner_of(c->id()) == "munet/quadrants") foreign = c;
  ASSERT_TRUE(foreign) << "A's published path holds no component of A's own";
  {
    torch::NoGradGuard no_grad;
    foreign->tensors()[0].add_(1.0);
  }
  try {
    store_->save(b, {0, 2, {path}, lo + 2, view.cycles, {}});
    ADD_FAILURE() << "a changed foreign component was stored";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("foreign components are immutable"), std::string::npos) << e.what();
  }

  // Nor may B write a component in A's range that A never published, or a path of A's.
  auto forged = std::make_shared<Path>(*published);
  forged->id = lo + 3;
  forged->components["head"] = std::make_shared<Component>((a.best->id | 0xfff), "head", foreign->tensors());
  EXPECT_THROW(store_->save(b, {0, 3, {forged}, lo + 4, view.cycles, {}}), Error);
  auto stolen = std::make_shared<Path>(*published);
  EXPECT_THROW(store_->save(b, {0, 4, {stolen}, lo + 4, view.cycles, {}}), Error);

  // A itself cannot change a component it has published.
  auto own = store_->load("munet/quadrants", torch::kCPU).own;
  ASSERT_TRUE(own && !own->paths.empty());
  {
    torch::NoGradGuard no_grad;
    for (const auto& [name, c] : own->paths[0]->components)
      if (store_->owner_of(c->id()) == "munet/quadrants") c->tensors()[0].mul_(2.0);
  }
  EXPECT_THROW(store_->save("munet/quadrants", {1, 1, own->paths, own->next_id, {}, {}}), Error);
  // What B saved before the refusals is still its state.
  EXPECT_EQ(store_->load(b, torch::kCPU).own->generation, 1);
}

TEST_P(AgentStoreTest, APublicationIsWrittenWholeOrNotAtAll) {
  const auto quadrants = testing::quadrants(128);
  run("munet", quadrants, 1);
  const std::string b = "munet/mirrored";
  const int64_t lo = store_->register_agent(b) << kOwnerShift;
  const auto view = store_->load(b, torch::kCPU);
  auto path = std::make_shared<Path>(*view.published.at("munet/quadrants").at(0));
  path->id = lo + 1;
  path->task = "mirrored";
  // Two components of B's own, then (at a higher id, so written after them) one of an agent that
  // does not exist: the save fails part-way through its writes.
  path->components["head"] = path->components["head"]->clone(lo + 2);
  path->components["encoder_norm"] = path->components["encoder_norm"]->clone(lo + 3);
  path->components["cls"] = path->components["cls"]->clone(int64_t(99) << kOwnerShift);
  EXPECT_THROW(store_->save(b, {1, 0, {path}, lo + 4, view.cycles, {}}), Error);
  EXPECT_EQ(count("SELECT COUNT(*) FROM components WHERE owner = ?", b), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM states WHERE owner = ?", b), 0);
  EXPECT_TRUE(store_->publications().size() == 1u) << "only A's cycle is published";
  // Without the forged component the same publication goes through, whole.
  path->components["cls"] = view.published.at("munet/quadrants").at(0)->components.at("cls");
  store_->save(b, {1, 0, {path}, lo + 4, view.cycles, {}});
  EXPECT_EQ(count("SELECT COUNT(*) FROM components WHERE owner = ?", b), 2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM states WHERE owner = ? AND generation = 0", b), 1);
  EXPECT_THROW(store_->save(b, {1, 0, {path}, lo + 4, view.cycles, {}}), Error) << "cycle 1 published twice";
}

TEST_P(AgentStoreTest, AParentItsOwnerRetiredFallsBackToTheRoot) {
  const auto quadrants = testing::quadrants(128);
  run("munet", quadrants, 1);
  const std::string a = "munet/quadrants", b = "munet/mirrored";
  const int64_t lo = store_->register_agent(b) << kOwnerShift;
  auto view = store_->load(b, torch::kCPU);
  const auto first = view.published.at(a).at(0);
  Population population(system_.vit, system_.space(), system_.mutation, system_.seed);
  population.restore(view.root, view.published, lo);
  Rng rng(mix64(1, 2));
  const auto child = population.make_child(first, "mirrored", 4, rng);
  store_->save(b, {0, 1, {child}, population.peek_next_id(), view.cycles, {}});
  ASSERT_EQ(store_->load(b, torch::kCPU).own->paths.at(0)->parent->id, first->id);

  // A publishes a second cycle whose path replaces the first.
  auto own = store_->load(a, torch::kCPU).own;
  auto second = std::make_shared<Path>(*own->paths.at(0));
  second->id = own->next_id;
  second->parent = view.root;
  store_->save(a, {2, 0, {second}, own->next_id + 1, {}, {}});

  const auto latest = store_->load(b, torch::kCPU);
  EXPECT_EQ(latest.published.at(a).at(0)->id, second->id);
  EXPECT_EQ(latest.own->paths.at(0)->parent, latest.root) << "the retired parent should fall back to the root";
  EXPECT_EQ(latest.retired_parents.at(child->id), first->id) << "the link the root stands in for is kept";
  // The components the child shares with the retired path stay loadable: published ones are kept.
  EXPECT_EQ(latest.own->paths.at(0)->components.size(), child->components.size());
  // On the view its cycle started from, the parent is still there.
  const auto same = store_->load(b, torch::kCPU, latest.own->view);
  EXPECT_EQ(same.own->paths.at(0)->parent->id, first->id);
}

TEST_P(AgentStoreTest, ACopyNamesTheAgentWhoseTrainedComponentItStartedFrom) {
  const auto quadrants = testing::quadrants(128);
  run("munet", quadrants, 1);
  const std::string a = "munet/quadrants", b = "finetune/quadrants";
  const int64_t lo = store_->register_agent(b) << kOwnerShift;
  const auto view = store_->load(b, torch::kCPU);
  const auto published = view.published.at(a).at(0);
  ComponentPtr trained, root_part;
  for (const auto& [name, c] : published->components) {
    if (store_->owner_of(c->id()) == a) trained = c;
    if (store_->owner_of(c->id()) == kRootOwner) root_part = c;
  }
  ASSERT_TRUE(trained && root_part) << "A's path should hold a component of A's and one of the root's";

  // B copies A's component, then copies its own copy (an intermediate it never publishes), and
  // copies a root component.
  const auto first = trained->clone(lo + 2);
  const auto second = first->clone(lo + 3);
  EXPECT_EQ(first->origin(), trained->id());
  EXPECT_EQ(second->origin(), trained->id()) << "a copy of one's own copy keeps its origin";
  EXPECT_EQ(trained->clone(trained->id() + 1)->origin(), trained->origin()) << "A's own copy is no one else's";
  auto path = std::make_shared<Path>(*published);
  path->id = lo + 1;
  path->parent = published;
  path->quality = 2.0;  // above any score A's path can reach: B answers for the task
  path->components[trained->name()] = second;
  path->components[root_part->name()] = root_part->clone(lo + 4);
  store_->save(b, {1, 0, {path}, lo + 5, view.cycles, {}});

  // The origins come back from the store, and only A's trained component counts as A's.
  const auto loaded = store_->load(b, torch::kCPU).own->paths.at(0);
  EXPECT_EQ(loaded->components.at(trained->name())->origin(), trained->id());
  EXPECT_EQ(loaded->components.at(root_part->name())->origin(), root_part->id());
  EXPECT_EQ(cloned_agents(*loaded, b, *store_), std::set<std::string>{a});
  path->components[trained->name()] = trained;
  EXPECT_TRUE(cloned_agents(*path, b, *store_).empty()) << "a root copy names no agent";

  const auto rows = agent_system_summary(*store_, system_.score);
  ASSERT_EQ(rows.size(), 1u) << rows.dump();
  EXPECT_EQ(rows[0].at("agent"), b);
  EXPECT_EQ(rows[0].at("clones"), nlohmann::json({a}));
  EXPECT_EQ(rows[0].at("builds_on"), a);
}

TEST_P(AgentStoreTest, PublishedPathsReevaluateToTheirRecordedTestAccuracy) {
  const auto quadrants = testing::quadrants(128);
  const auto mirror = testing::mirrored(128);
  // Four agents of three classes take turns, so each cycle starts from the others' publications.
  const std::vector<std::pair<std::string, const data::Splits*>> agents{
      {"munet", &quadrants}, {"finetune", &quadrants}, {"munet-grow", &mirror}, {"munet", &mirror}};
  std::map<std::string, std::string> logs;
  for (int64_t cycle = 1; cycle <= 2; ++cycle)
    for (const auto& [cls, task] : agents) {
      run(cls, *task, cycle);
      logs[agent_id(cls, task->name)] = (dir_ / cls / task->name / "publications.jsonl").string();
    }
  const auto check = check_publications(*store_, logs);
  EXPECT_TRUE(check.ok()) << check.to_json().dump();
  EXPECT_EQ(check.published, 8);
  EXPECT_EQ(check.logged, 8);

  int64_t checked = 0;
  for (const auto& p : store_->publications()) {
    if (p.paths.empty()) continue;
    const auto view = store_->load("", torch::kCPU, std::map<std::string, int64_t>{{p.agent, p.cycle}});
    const auto& path = view.published.at(p.agent).at(0);
    const auto& task = path->task == "quadrants" ? quadrants : mirror;
    const double accuracy = evaluate(*path, task.test, system_.vit, system_.train.batch_size);
    EXPECT_NEAR(accuracy, path->test_quality, 1e-3) << p.agent << " cycle " << p.cycle;
    ++checked;
  }
  EXPECT_GE(checked, 6);
  const auto rows = agent_system_summary(*store_, system_.score);
  ASSERT_EQ(rows.size(), 2u) << rows.dump();
}

TEST_P(AgentStoreTest, ASystemMadeWithOtherSettingsIsRefused) {
  auto other = system_;
  other.seed = 6;
  EXPECT_NE(testing::error_of([&] {
              prepare_agent_system(*store_, other, dir_.string());
            }).find("this agent system was made with other settings"),
            std::string::npos);
  EXPECT_EQ(store_->settings().at("seed"), system_.seed);
}

METAEVO_BACKENDS(AgentStoreTest);

}  // namespace
}  // namespace metaevo::munet
