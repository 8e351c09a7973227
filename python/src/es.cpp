// metaevo.Strategy (ask/tell on tensors, picklable) and metaevo.Driver (the ES loop over a Python
// fitness, with the CLI's checkpoints, metrics log, progress line and result file).
#include <filesystem>

#include "bridge.h"
#include "metaevo/core/atomic_file.h"
#include "metaevo/core/options.h"
#include "metaevo/core/runtime.h"
#include "metaevo/dist/communicator.h"
#include "metaevo/es/driver.h"
#include "metaevo/es/observers.h"
#include "metaevo/run/settings.h"

namespace metaevo::python {
namespace {

namespace fs = std::filesystem;

/// A strategy with what rebuilds it (for pickling and for a checkpoint's fingerprint) and the
/// population it last handed out.
struct PyStrategy {
  nlohmann::json settings;  // {name, its options}
  es::StrategyContext context;
  std::unique_ptr<es::Strategy> strategy;
  std::optional<es::Population> asked;

  PyStrategy(nlohmann::json settings_, torch::Tensor x0, uint64_t seed, bool maximize)
      : settings(std::move(settings_)) {
    METAEVO_CHECK(x0.dim() == 1 && x0.numel() > 0 && x0.is_floating_point(),
                  "metaevo.Strategy: x0 must be a 1-d floating-point tensor, got {} of shape {}",
                  c10::toString(x0.scalar_type()), c10::str(x0.sizes()));
    context.layout = models::Layout::flat(x0.numel());
    context.x0 = x0.detach().to(torch::kCPU).clone();
    context.seed = seed;
    context.sense = maximize ? es::Sense::kMaximize : es::Sense::kMinimize;
    const auto config = Config::parse(settings.dump(), "metaevo.Strategy");
    strategy = es::make_strategy(config, context);
    config.check_all_used();
  }
  std::string fingerprint() const {
    const auto x0 = context.x0.to(torch::kFloat64).contiguous();
    const std::vector<double> values(x0.data_ptr<double>(), x0.data_ptr<double>() + x0.numel());
    return run::fingerprint(
        {{"strategy", settings}, {"seed", context.seed}, {"sense", es::sense_name(context.sense)}, {"x0", values}});
  }
  py::bytes state() const {
    torch::serialize::OutputArchive archive;
    strategy->save(archive);
    std::string bytes;
    archive.save_to([&bytes](const void* data, size_t size) {
      bytes.append(static_cast<const char*>(data), size);
      return size;
    });
    return py::bytes(bytes);
  }
  void load(const std::string& bytes) {
    torch::serialize::InputArchive archive;
    archive.load_from(bytes.data(), bytes.size());
    strategy->load(archive);
    asked.reset();
  }
};

/// The es::Problem of a Python fitness: called with the members as a [n, d] tensor (batched) or
/// once per member with a [d] tensor.
class PyFitness : public es::Problem {
 public:
  PyFitness(const PyStrategy& s, py::function fitness, bool batched)
      : s_(s), fitness_(std::move(fitness)), batched_(batched) {}
  ~PyFitness() override {
    py::gil_scoped_acquire gil;
    fitness_ = py::function();
  }
  models::Layout layout() const override { return s_.context.layout; }
  torch::Tensor initial() const override { return s_.context.x0; }
  es::Sense sense() const override { return s_.context.sense; }
  torch::Tensor evaluate(const es::Population& pop, int64_t begin, int64_t end) override {
    const auto members = pop.members(begin, end);
    return call_python([&] {
      if (batched_) return fitness_values(fitness_(members), end - begin, true, "the fitness function's result");
      std::vector<torch::Tensor> values;
      for (int64_t i = 0; i < members.size(0); ++i)
        values.push_back(fitness_values(fitness_(members[i]), 1, false, "the fitness function's result"));
      return torch::cat(values);
    });
  }

 private:
  const PyStrategy& s_;
  py::function fitness_;
  bool batched_;
};

/// Calls a Python function with each generation's statistics.
class PyObserver : public es::Observer {
 public:
  explicit PyObserver(py::function callback) : callback_(std::move(callback)) {}
  ~PyObserver() override {
    py::gil_scoped_acquire gil;
    callback_ = py::function();
  }
  void on_generation(const es::GenerationStats& stats, const es::Strategy&) override {
    call_python([&] {
      callback_(to_python({{"generation", stats.state.generation},
                           {"evals", stats.state.evals},
                           {"best", stats.best},
                           {"mean", stats.mean},
                           {"worst", stats.worst},
                           {"best_so_far", stats.state.best_fitness},
                           {"seconds", stats.seconds},
                           {"report", stats.report}}));
    });
  }

 private:
  py::function callback_;
};

py::dict run_driver(PyStrategy& s, const py::function& fitness, bool batched, const std::string& output, bool resume,
                    const py::object& callback, const py::kwargs& options) {
  const auto config = config_from(options, "metaevo.Driver");
  const auto driver_options = read_options<es::DriverOptions>(config);
  config.check_all_used();
  auto& comm = dist::world();
  const bool primary = comm.rank() == 0;
  run::Checkpointer checkpointer;
  if (!output.empty()) {
    checkpointer = run::Checkpointer((fs::path(output) / "checkpoint.pt").string(), "es", s.fingerprint());
    if (primary) {
      checkpointer.check_fresh_start(resume);
      fs::create_directories(output);
    }
  }
  configure_allocator();  // as the CLI does: large temporaries reused, not page-faulted afresh
  PyFitness problem(s, fitness, batched);
  es::RunResult result;
  {
    py::gil_scoped_release release;
    es::Driver driver(*s.strategy, problem, driver_options);
    if (comm.size() > 1) driver.distribute(comm);
    driver.set_checkpoint(checkpointer);
    if (resume && !driver.resume() && primary) {
      py::gil_scoped_acquire gil;
      const auto warning = "resume: no checkpoint in " + output + ", starting afresh";
      if (PyErr_WarnEx(PyExc_RuntimeWarning, warning.c_str(), 1) != 0) throw py::error_already_set();
    }
    if (primary && !output.empty()) {
      driver.add_observer(std::make_shared<es::ProgressLogger>(driver_options));
      driver.add_observer(std::make_shared<es::MetricsWriter>((fs::path(output) / "metrics.jsonl").string()));
    }
    if (!callback.is_none()) {
      py::gil_scoped_acquire gil;
      driver.add_observer(std::make_shared<PyObserver>(callback.cast<py::function>()));
    }
    result = driver.run();
  }
  s.asked.reset();
  const nlohmann::json summary = {{"strategy", s.strategy->name()},
                                  {"sense", es::sense_name(s.context.sense)},
                                  {"stop_reason", result.stop_reason},
                                  {"generations", result.state.generation},
                                  {"evals", result.state.evals},
                                  {"elapsed_s", result.state.elapsed_s},
                                  {"best_fitness", result.state.best_fitness}};
  if (primary && !output.empty())
    write_file_atomic((fs::path(output) / "result.json").string(), summary.dump(2) + "\n");
  py::dict out = to_python(summary);
  out["center"] = result.center;
  return out;
}

}  // namespace

void bind_es(py::module_& m) {
  py::class_<PyStrategy>(m, "Strategy", R"(An evolution strategy with the ask/tell interface.

Strategy(name, x0, *, seed=0, maximize=False, **options): name is one of metaevo.strategies()
(openai_es, pgpe, snes, cmaes, sep_cmaes); options are the strategy's config keys (population,
sigma, optimizer={"name": "adam", "lr": 0.01}, ...; see `metaevo es --describe`). A misspelt
option is a metaevo.Error naming it. Picklable: the pickle holds the settings and the state after
the last tell, and continues bitwise as the original would.)")
      .def(py::init([](const std::string& name, const torch::Tensor& x0, uint64_t seed, bool maximize,
                       const py::kwargs& options) {
             auto settings = to_json(options);
             settings["name"] = name;
             return std::make_unique<PyStrategy>(settings, x0, seed, maximize);
           }),
           py::arg("name"), py::arg("x0"), py::kw_only(), py::arg("seed") = 0, py::arg("maximize") = false)
      .def(
          "ask",
          [](PyStrategy& s) {
            py::gil_scoped_release release;
            s.asked = s.strategy->ask();
            return s.asked->members();
          },
          "The next population as a [population, d] tensor (float32 for the Gaussian strategies, float64 for CMA-ES).")
      .def(
          "tell",
          [](PyStrategy& s, const py::object& fitness) {
            METAEVO_CHECK(s.asked.has_value(), "metaevo.Strategy.tell: call ask() first");
            const auto values = fitness_values(fitness, s.asked->size, true, "the fitness given to tell");
            py::gil_scoped_release release;
            s.strategy->tell(*s.asked, values);
            s.asked.reset();
          },
          py::arg("fitness"),
          "Updates from the fitness of the last asked population: a float tensor [population]. NaN ranks last.")
      .def_property_readonly("center", [](const PyStrategy& s) { return s.strategy->center(); })
      .def_property_readonly("generation", [](const PyStrategy& s) { return s.strategy->generation(); })
      .def_property_readonly("name", [](const PyStrategy& s) { return s.strategy->name(); })
      .def_property_readonly("stop_reason", [](const PyStrategy& s) { return s.strategy->stop_reason(); })
      .def_property_readonly("settings", [](const PyStrategy& s) { return to_python(s.settings); })
      .def(py::pickle(
          [](const PyStrategy& s) {
            return py::make_tuple(s.settings.dump(), s.context.x0, s.context.seed,
                                  s.context.sense == es::Sense::kMaximize, s.state());
          },
          [](const py::tuple& t) {
            METAEVO_CHECK(t.size() == 5, "metaevo.Strategy: not a pickled strategy");
            auto s = std::make_unique<PyStrategy>(nlohmann::json::parse(t[0].cast<std::string>()),
                                                  t[1].cast<torch::Tensor>(), t[2].cast<uint64_t>(), t[3].cast<bool>());
            s->load(t[4].cast<std::string>());
            return s;
          }));

  m.def(
      "strategies", [] { return es::StrategyRegistry::instance().keys(); }, "The names metaevo.Strategy accepts.");

  m.def("optimize", &run_driver, py::arg("strategy"), py::arg("fitness"), py::kw_only(), py::arg("batched") = true,
        py::arg("output") = "", py::arg("resume") = false, py::arg("callback") = py::none(),
        R"(Runs the ES loop (ask, evaluate, tell) of `strategy` on a Python fitness until a stop rule.

fitness(x) gets the population as a [population, d] tensor and returns a float tensor [population]
(batched=True), or gets one member [d] and returns a float (batched=False). options are the run
settings (generations, time_budget_s, max_evals, target, checkpoint_every, log_every_s, ...).
With output, the run folder gets checkpoint.pt, metrics.jsonl, result.json and a progress line;
resume=True continues from its checkpoint, bitwise as if never stopped. Ctrl-C saves the
checkpoint of the last complete generation, then raises KeyboardInterrupt. callback(stats) is
called after every generation. Under mpirun each process evaluates its share of every
population and only rank 0 writes files. Returns the result with the final center.)");
}

}  // namespace metaevo::python
