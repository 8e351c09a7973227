// `metaevo agent --config F --class NAME --task T [--storage URL]`: one agent of a multi-agent muNet
// system (munet/agents/): it extends the shared system on its task with its class's method for
// `agent.cycles` cycles (or `agent.budget_s`), publishing each cycle's best path. Any number run
// at once, on one host (a SQLite file) or many (PostgreSQL); a rerun continues the agent's cycle.
// `metaevo agents --config F` runs every class of `agents.classes` on every task of `tasks`:
// `agents.parallel` local processes at a time, or under mpirun one agent at a time per rank. It
// then checks every agent's log against the store and writes agents.json and report.html (per
// task the winning agent, and whose components its path uses). `metaevo evolve status --storage
// URL` prints the same table.
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <thread>

#include "commands.h"
#include "describe.h"
#include "metaevo/core/atomic_file.h"
#include "metaevo/data/png.h"
#include "metaevo/dist/communicator.h"
#include "metaevo/munet/agents/agent.h"
#include "metaevo/report/charts.h"
#include "metaevo/run/progress.h"

namespace metaevo::cli {
namespace {

namespace fs = std::filesystem;
using namespace metaevo::munet;

struct AgentArgs {
  RunArgs run;
  std::string agent_class, task, storage;
};

/// Everything an agent reads from the config, checked before any work.
struct AgentConfig {
  EvolveSettings system;
  AgentOptions agent;
  AgentsOptions agents;
  std::vector<std::string> classes;  // those this command runs
  std::map<std::string, std::unique_ptr<AgentClass>> methods;
};

AgentConfig read_agent_config(Config& config, const std::vector<std::string>& classes) {
  AgentConfig c;
  c.system = EvolveSettings::read(config);
  c.agent = read_options<AgentOptions>(config.section("agent"));
  c.agents = read_options<AgentsOptions>(config.section("agents"));
  const auto& listed = c.agents.classes;
  c.classes = classes.empty() ? listed : classes;
  // Every class block is read and checked, also those of classes this command does not run.
  const auto blocks = config.section("agent_classes");
  std::set<std::string> names(c.classes.begin(), c.classes.end());
  names.insert(listed.begin(), listed.end());
  for (const auto& name : blocks.keys()) names.insert(name);
  for (const auto& name : names)
    with_context(config.origin() + ": agent_classes." + name, [&] {
      auto method = AgentClassRegistry::instance().create(name, "agent class", blocks.section(name));
      const auto& s = c.system;
      Population(s.vit, method->space(s), method->mutation(s), s.seed);  // the class's settings, checked
      c.methods[name] = std::move(method);
    });
  return c;
}

std::string agent_folder(const std::string& output, const std::string& id) {
  std::string name = id;
  std::replace(name.begin(), name.end(), '/', '~');
  return (fs::path(output) / "agents" / name).string();
}

int run_agent_command(const Common& common, const AgentArgs& args) {
  auto config = load_run_config(args.run);
  start_runtime(common, &config);
  const std::string output = run_output(args.run, config, "runs/agents");
  const auto location = store_location(args.storage, &config, (fs::path(output) / "system.db").string());
  auto c = read_agent_config(config, {args.agent_class});
  config.check_all_used();
  with_context("--task", [&] { data::check_dataset_name(args.task); });
  with_context(config.origin() + ": data", [&] { data::check_dataset_data(args.task, c.system.data); });
  fs::create_directories(output);
  AgentStore store(location);
  prepare_agent_system(store, c.system, output);
  const auto id = agent_id(args.agent_class, args.task);
  const auto folder = agent_folder(output, id);
  const auto run = run_agent(c.system, c.agent, args.agent_class, *c.methods.at(args.agent_class),
                             load_task(args.task, c.system.data).to(c.system.device), store, folder);
  spdlog::info("{}: {} cycles published to {}", id, run.cycles, store.where());
  return 0;
}

/// Runs `jobs` (class, task) as child processes of this binary, at most `parallel` at once;
/// returns the ids of those that failed.
std::vector<std::string> spawn_agents(const std::vector<std::pair<std::string, std::string>>& jobs, int parallel,
                                      const AgentArgs& args, const std::string& output, const std::string& location,
                                      int threads) {
  const auto self = fs::read_symlink("/proc/self/exe").string();
  std::map<pid_t, std::string> running;
  std::vector<std::string> failed;
  const run::RunClock clock;
  run::Progress progress("agent", int64_t(jobs.size()));
  progress.start(0, 0);
  int64_t finished = 0;
  const auto reap = [&] {
    int status = 0;
    const pid_t pid = ::wait(&status);
    if (pid <= 0) return;
    const auto id = running.at(pid);
    running.erase(pid);
    const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!ok) {
      spdlog::error("agent {} failed (see {}.log)", id, agent_folder(output, id));
      failed.push_back(id);
    }
    progress.update(
        ++finished, clock.elapsed_s(),
        fmt::format("{} {}, {} running, {} failed so far", id, ok ? "done" : "failed", running.size(), failed.size()),
        /*force=*/true);
  };
  for (const auto& [cls, task] : jobs) {
    while (int(running.size()) >= parallel) reap();
    const auto id = agent_id(cls, task);
    const auto folder = agent_folder(output, id);
    fs::create_directories(fs::path(folder).parent_path());
    std::vector<std::string> argv{
        self, "agent",     "--config", args.run.config, "--class", cls,         "--task",
        task, "--storage", location,   "--output",      output,    "--threads", std::to_string(threads)};
    for (const auto& o : args.run.overrides) argv.insert(argv.end(), {"--set", o});
    const pid_t pid = ::fork();
    if (pid == 0) {
      const auto log = folder + ".log";
      if (!std::freopen(log.c_str(), "a", stdout) || ::dup2(::fileno(stdout), ::fileno(stderr)) < 0) ::_exit(126);
      std::vector<char*> raw;
      for (auto& a : argv) raw.push_back(a.data());
      raw.push_back(nullptr);
      ::execv(raw[0], raw.data());
      ::_exit(127);
    }
    METAEVO_CHECK(pid > 0, "agents: cannot start a process for {}", id);
    running[pid] = id;
  }
  while (!running.empty()) reap();
  return failed;
}

/// Routing made visible: per task with a published multipath model, how its router weighs the main
/// path over the test samples, and the test samples it routes most to other tasks' paths. Adds
/// each model's share of such samples to `results`.
std::vector<report::Chart> routing_charts(AgentStore& store, const std::vector<std::string>& agents,
                                          const EvolveSettings& s, nlohmann::ordered_json& results) {
  constexpr int kBins = 10, kExamples = 6;
  std::vector<std::tuple<std::string, std::string, double>> histogram;
  std::vector<report::ImageCell> examples;
  for (const auto& id : agents) {
    const auto own = store.load(id, torch::kCPU).own;
    if (!own || own->generation != 0 || own->multipaths.empty()) continue;
    const auto& m = *own->multipaths.front();
    const auto test = load_task(m.task(), s.data).test;
    const auto w = router_weights(m, test, s.train.batch_size);
    const auto main = w.select(1, 0);
    const auto counts = torch::bincount((main * kBins).floor().clamp(0, kBins - 1).to(torch::kLong), {}, kBins);
    for (int b = 0; b < kBins; ++b)
      histogram.emplace_back(fmt::format("{:.1f}-{:.1f}", b / double(kBins), (b + 1) / double(kBins)), m.task(),
                             counts[b].item<double>() / double(main.size(0)));
    const auto foreign = w.narrow(1, 1, w.size(1) - 1).amax(1);
    const auto elsewhere = foreign.gt(main);
    results["share of " + m.task() + " routed mostly to another task's path"] =
        elsewhere.to(torch::kDouble).mean().item<double>();
    const auto order = main.argsort();
    for (int64_t i = 0, shown = 0; i < order.size(0) && shown < kExamples; ++i) {
      const auto at = order[i].item<int64_t>();
      if (!elsewhere[at].item<bool>()) break;
      const auto pixels = ((test.x[at][0] + 1) * 127.5).round().clamp(0, 255).to(torch::kUInt8);
      examples.push_back({std::to_string(++shown), m.task(), data::encode_png_gray(pixels), main[at].item<double>()});
    }
  }
  std::vector<report::Chart> charts;
  if (histogram.empty()) return charts;
  charts.push_back(report::heatmap("multipath models: share of test samples by the router's weight on the main path",
                                   "weight on the main path", "task", histogram, "share of samples"));
  if (!examples.empty())
    charts.push_back(report::image_grid(
        "multipath models: test samples routed mostly to other tasks' paths (lowest main-path weight first)", "sample",
        "task", examples, "weight on the main path"));
  return charts;
}

/// report.html: the winner of each task and a task x agent map of whose components each path uses,
/// then the multipath models' routing.
void write_agents_report(const std::string& output, const nlohmann::json& rows, const PublicationCheck& check,
                         const std::string& config, std::vector<report::Chart> routing, nlohmann::ordered_json routed) {
  report::Report page;
  page.title = "metaevo agents: " + output;
  page.results = {{"tasks", rows.size()},           {"publications", check.published}, {"lost", check.lost},
                  {"duplicated", check.duplicated}, {"mismatched", check.mismatched},  {"unlogged", check.unlogged}};
  page.rows_title = "The system's answer per task";
  std::set<std::string> agents;
  for (const auto& r : rows) {
    page.rows.push_back({{"task", r["task"]},
                         {"winning agent", r["agent"]},
                         {"test accuracy", r["test_accuracy"]},
                         {"validation accuracy", r["validation_accuracy"]},
                         {"accounted parameters", r["accounted_params"]},
                         {"uses components of", fmt::format("{}", fmt::join(r["uses"], ", "))},
                         {"clones components of", fmt::format("{}", fmt::join(r["clones"], ", "))},
                         {"builds on the path of", r["builds_on"]},
                         {"agents on the task", fmt::format("{}", fmt::join(r["agents"], ", "))}});
    for (const auto& a : r["agents"]) agents.insert(a.get<std::string>());
  }
  std::vector<std::tuple<std::string, std::string, double>> cells;
  for (const auto& r : rows)
    for (const auto& a : agents) {
      const auto holds = [&](const char* field) {
        const auto& agents = r[field];
        return std::find(agents.begin(), agents.end(), a) != agents.end();
      };
      const double used = a == r["agent"] ? 2.0 : holds("uses") ? 1.0 : holds("clones") ? 0.5 : 0.0;
      cells.emplace_back(r["task"].get<std::string>(), a, used);
    }
  page.charts.push_back(report::heatmap(
      "whose components each task's winning path uses (2 = the winning agent itself, 1 = a component it published, "
      "frozen; 0.5 = a copy of one, trained further)",
      "task", "agent", cells, "uses"));
  page.charts.insert(page.charts.end(), routing.begin(), routing.end());
  page.results.update(routed);
  page.config = config;
  report::write(page, (fs::path(output) / "report.html").string());
}

int run_agents_command(const Common& common, const AgentArgs& args) {
  auto config = load_run_config(args.run);
  start_runtime(common, &config);
  const std::string output = run_output(args.run, config, "runs/agents");
  const auto location = store_location(args.storage, &config, (fs::path(output) / "system.db").string());
  auto c = read_agent_config(config, {});
  config.check_all_used();
  check_tasks(c.system, {}, config.origin());
  fs::create_directories(output);
  std::vector<std::pair<std::string, std::string>> jobs;
  for (const auto& task : c.system.tasks)
    for (const auto& cls : c.classes) jobs.emplace_back(cls, task);
  auto& comm = dist::world();
  std::vector<std::string> failed;
  if (comm.size() > 1) {
    // Under mpirun: rank r runs every size-th agent, one after another, in this process.
    if (comm.rank() == 0) {
      AgentStore store(location);
      prepare_agent_system(store, c.system, output);
    }
    comm.barrier();
    AgentStore store(location);
    for (size_t j = size_t(comm.rank()); j < jobs.size(); j += size_t(comm.size())) {
      const auto& [cls, task] = jobs[j];
      run_agent(c.system, c.agent, cls, *c.methods.at(cls), load_task(task, c.system.data).to(c.system.device), store,
                agent_folder(output, agent_id(cls, task)));
    }
    comm.barrier();
    if (comm.rank() != 0) return 0;
  } else {
    {
      AgentStore store(location);
      prepare_agent_system(store, c.system, output);
    }
    const int threads = common.threads > 0
                            ? common.threads
                            : std::max(1, int(std::thread::hardware_concurrency()) / int(c.agents.parallel));
    failed = spawn_agents(jobs, int(c.agents.parallel), args, output, location, threads);
  }
  AgentStore store(location);
  std::map<std::string, std::string> logs;
  for (const auto& [cls, task] : jobs) {
    const auto id = agent_id(cls, task);
    logs[id] = (fs::path(agent_folder(output, id)) / "publications.jsonl").string();
  }
  const auto check = check_publications(store, logs);
  const auto rows = agent_system_summary(store, c.system.score);
  const auto contributions = agent_contributions(store, rows);
  std::vector<std::string> multipath_agents;
  for (const auto& [cls, task] : jobs)
    if (cls == "multipath") multipath_agents.push_back(agent_id(cls, task));
  nlohmann::ordered_json routed = nlohmann::ordered_json::object();
  auto routing = routing_charts(store, multipath_agents, c.system, routed);
  nlohmann::json result{{"check", check.to_json()},
                        {"tasks", rows},
                        {"agents", contributions},
                        {"routing", routed},
                        {"failed_agents", failed}};
  write_file_atomic((fs::path(output) / "agents.json").string(), result.dump(2) + "\n");
  write_agents_report(output, rows, check, config.dump(), std::move(routing), std::move(routed));
  print_agent_summary(rows, contributions);
  for (const auto& problem : check.problems) spdlog::error("publication check: {}", problem);
  METAEVO_CHECK(failed.empty(), "agents: {} of {} agents failed: {}", failed.size(), jobs.size(),
                fmt::join(failed, ", "));
  METAEVO_CHECK(check.ok(), "agents: the publication check found {} problems (agents.json)", check.problems.size());
  return 0;
}

}  // namespace

void print_agent_summary(const nlohmann::json& rows, const nlohmann::json& contributions) {
  std::cout << fmt::format("{:<32} {:<40} {:>9}  {}\n", "task", "winning agent", "test acc",
                           "shares components of / clones components of / builds on");
  for (const auto& r : rows)
    std::cout << fmt::format("{:<32} {:<40} {:>8.2f}%  {} / {} / {}\n", r["task"].get<std::string>(),
                             r["agent"].get<std::string>(), 100 * r["test_accuracy"].get<double>(), r["uses"].dump(),
                             r["clones"].dump(), r["builds_on"].get<std::string>());
  std::cout << fmt::format("\n{:<40} {:>6} {:>9} {:>5}  {}\n", "agent", "cycles", "test acc", "wins",
                           "tasks whose winner uses it");
  for (const auto& a : contributions)
    std::cout << fmt::format(
        "{:<40} {:>6} {:>9} {:>5}  {}\n", a["agent"].get<std::string>(), a["cycles"].get<int64_t>(),
        a["test_accuracy"].is_null() ? "-" : fmt::format("{:.2f}%", 100 * a["test_accuracy"].get<double>()),
        a["wins"].get<bool>() ? "yes" : "", a["used_by"].dump());
}

void add_agent_commands(CLI::App& app, Common& common, Action& action) {
  const auto storage_help =
      "the shared system: a SQLite file or postgresql://user@host:port/db (default: the config's 'storage', else "
      "OUTPUT/system.db); the password comes from PGPASSWORD, ~/.pgpass or PGSERVICE";
  auto args = std::make_shared<AgentArgs>();
  auto* one = app.add_subcommand("agent", "run one agent (class x task) of a multi-agent muNet system");
  add_run_options(one, args->run, "runs/agents");
  add_describe_flags(one, "agent");
  one->add_option("--class", args->agent_class, "the agent class (" + AgentClassRegistry::instance().names() + ")")
      ->required();
  one->add_option("--task", args->task, "the agent's task")->required();
  one->add_option("--storage", args->storage, storage_help);
  one->callback([&common, &action, args] { action = [&common, args] { return run_agent_command(common, *args); }; });

  auto many_args = std::make_shared<AgentArgs>();
  auto* many = app.add_subcommand("agents", "run every class of agents.classes on every task, then check the store");
  add_run_options(many, many_args->run, "runs/agents");
  many->add_option("--storage", many_args->storage, storage_help);
  many->callback([&common, &action, many_args] {
    action = [&common, many_args] { return run_agents_command(common, *many_args); };
  });
}

}  // namespace metaevo::cli
