// metaevo.tune: a study over a Python trainable. The trainable is a generator function: it gets a
// trial (config, seed, the checkpoint it last yielded or None, the epochs recorded) and yields one
// report per epoch - a float, or metaevo.Report(value, test, checkpoint). The tuner pulls one
// epoch at a time, so a paused trial simply stops being pulled; a resumed one starts a new
// generator from its checkpoint. Without checkpoints a resumed trial retrains its recorded epochs.
#include <chrono>
#include <filesystem>

#include "bridge.h"
#include "metaevo/core/runtime.h"
#include "metaevo/hpo/study.h"

namespace metaevo::python {
namespace {

namespace fs = std::filesystem;

/// One trial's generator and what its checkpoint file holds: the metrics of every epoch and the
/// last checkpoint object the trainable yielded (pickled with torch.save, tensors included).
class GeneratorRun : public hpo::TrialRun {
 public:
  GeneratorRun(py::function trainable, const hpo::Assignment& config, uint64_t seed, std::string file)
      : trainable_(std::move(trainable)), config_(config), seed_(seed), file_(std::move(file)) {
    if (!fs::exists(file_)) return;
    auto saved = torch_module().attr("load")(file_);
    for (auto m : saved["metrics"]) {
      const auto t = m.cast<py::tuple>();
      metrics_.push_back({t[0].cast<double>(), t[1].cast<double>(), t[2].cast<double>()});
    }
    checkpoint_ = saved["checkpoint"];
  }
  ~GeneratorRun() override {
    py::gil_scoped_acquire gil;
    if (generator_ && py::hasattr(generator_, "close")) {
      try {
        generator_.attr("close")();
      } catch (py::error_already_set&) {  // a generator that fails to close: nothing to do about it here
      }
    }
    generator_ = py::object();
    checkpoint_ = py::object();
    trainable_ = py::function();
  }
  int epoch() const override { return int(metrics_.size()); }
  hpo::EpochMetrics recorded(int e) const override { return metrics_.at(size_t(e - 1)); }
  hpo::EpochMetrics train_epoch() override {
    return call_python([&] {
      if (!generator_) start();
      // Without a checkpoint the generator started from scratch: its first epochs retrain
      // recorded ones.
      for (; replay_ > 0; --replay_) next_report();
      auto m = next_report();
      metrics_.push_back(m);
      return m;
    });
  }
  void save() override {
    call_python([&] {
      py::list metrics;
      for (const auto& m : metrics_) metrics.append(py::make_tuple(m.value, m.test, m.seconds));
      py::dict saved;
      saved["metrics"] = metrics;
      saved["checkpoint"] = checkpoint_;
      fs::create_directories(fs::path(file_).parent_path());
      const auto tmp = file_ + ".tmp";
      torch_module().attr("save")(saved, tmp);
      fs::rename(tmp, file_);  // atomic: a kill leaves the old checkpoint or the new one
    });
  }

 private:
  static py::module_ torch_module() { return py::module_::import("torch"); }
  void start() {
    replay_ = checkpoint_.is_none() ? int(metrics_.size()) : 0;
    auto trial = py::module_::import("types").attr("SimpleNamespace")(
        py::arg("config") = to_python(config_), py::arg("seed") = seed_, py::arg("checkpoint") = checkpoint_,
        py::arg("epoch") = int(metrics_.size()) - replay_);
    generator_ = trainable_(trial);
    if (!py::hasattr(generator_, "__next__"))
      throw py::type_error("the trainable must be a generator function: yield one report per epoch");
  }
  hpo::EpochMetrics next_report() {
    const auto t0 = std::chrono::steady_clock::now();
    py::object report;
    try {
      report = generator_.attr("__next__")();
    } catch (py::error_already_set& e) {
      if (!e.matches(PyExc_StopIteration)) throw;
      throw py::value_error(
          fmt::format("the trainable of trial {} stopped after {} epochs; it must yield as many as "
                      "the scheduler's max_t",
                      config_.dump(), metrics_.size()));
    }
    hpo::EpochMetrics m;
    m.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    read_report(report, m);
    return m;
  }
  void read_report(const py::object& report, hpo::EpochMetrics& m) {
    if (PyFloat_Check(report.ptr()) || (PyLong_Check(report.ptr()) && !PyBool_Check(report.ptr()))) {
      m.value = report.cast<double>();
    } else if (py::hasattr(report, "value")) {  // metaevo.Report
      m.value = report.attr("value").cast<double>();
      if (!report.attr("test").is_none()) m.test = report.attr("test").cast<double>();
      if (!report.attr("checkpoint").is_none()) checkpoint_ = report.attr("checkpoint");
    } else {
      throw py::type_error(fmt::format("the trainable yielded a {}; expected a float or metaevo.Report",
                                       py::str(report.get_type().attr("__name__")).cast<std::string>()));
    }
  }

  py::function trainable_;
  hpo::Assignment config_;
  uint64_t seed_;
  std::string file_;
  std::vector<hpo::EpochMetrics> metrics_;
  py::object checkpoint_ = py::none();
  py::object generator_;
  int replay_ = 0;  // epochs the new generator retrains before it reaches new ones
};

class GeneratorObjective : public hpo::Objective {
 public:
  GeneratorObjective(py::function trainable, bool maximize) : trainable_(std::move(trainable)), maximize_(maximize) {}
  ~GeneratorObjective() override {
    py::gil_scoped_acquire gil;
    trainable_ = py::function();
  }
  hpo::SearchSpace default_space() const override { return {}; }
  bool maximize() const override { return maximize_; }
  std::unique_ptr<hpo::TrialRun> open(const hpo::Assignment& config, uint64_t seed,
                                      const std::string& checkpoint) override {
    return call_python([&] { return std::make_unique<GeneratorRun>(trainable_, config, seed, checkpoint); });
  }

 private:
  py::function trainable_;
  bool maximize_;
};

py::dict tune(const py::function& trainable, const py::dict& space, const std::string& output,
              const std::string& storage, uint64_t seed, bool maximize, const py::object& scheduler,
              const py::object& sampler, const py::kwargs& tuner) {
  METAEVO_CHECK(!output.empty(), "metaevo.tune: output must name a folder");
  METAEVO_CHECK(py::len(space) > 0, "metaevo.tune: space must name at least one hyperparameter");
  nlohmann::json settings = {{"seed", seed}, {"space", to_json(space)}, {"tuner", to_json(tuner)}};
  if (!scheduler.is_none()) settings["scheduler"] = to_json(scheduler);
  if (!sampler.is_none()) settings["sampler"] = to_json(sampler);
  const auto config = Config::parse(settings.dump(), "metaevo.tune");
  const auto location = storage.empty() ? (fs::path(output) / "study.db").string() : storage;
  auto make = [&] { return std::make_unique<GeneratorObjective>(trainable, maximize); };
  configure_allocator();
  hpo::StudyOutcome outcome;
  {
    py::gil_scoped_release release;
    outcome = hpo::run_study(
        config,
        [&]() -> std::unique_ptr<hpo::Objective> {
          py::gil_scoped_acquire gil;
          return make();
        },
        location, output);
  }
  const auto& s = outcome.standings;
  nlohmann::json trials = nlohmann::json::array();
  for (const auto id : s.ranked) {
    const auto& t = s.trials[size_t(id)];
    trials.push_back({{"trial", id},
                      {"config", t.summary.config},
                      {"epochs", t.summary.resource},
                      {"values", t.values},
                      {"tests", t.tests}});
  }
  return to_python({{"scheduler", outcome.scheduler},
                    {"epochs", s.epochs},
                    {"seconds", s.seconds},
                    {"trials", s.rows.size()},
                    {"leaderboard", trials}});
}

}  // namespace

void bind_tune(py::module_& m) {
  m.def("tune", &tune, py::arg("trainable"), py::kw_only(), py::arg("space"), py::arg("output"),
        py::arg("storage") = "", py::arg("seed") = 0, py::arg("maximize") = true, py::arg("scheduler") = py::none(),
        py::arg("sampler") = py::none(),
        R"(Works on the study of `trainable` until it is done, and returns its leaderboard.

trainable(trial) is a generator function: trial.config holds the hyperparameters, trial.seed a
seed of its own, trial.checkpoint the checkpoint it last yielded (None for a fresh trial) and
trial.epoch the epochs that checkpoint covers. It yields one report per epoch: a float, or
metaevo.Report(value, test=None, checkpoint=obj), obj being anything torch.save can write.
space: {name: {"type": "float" | "int" | "categorical", "low", "high", "log", "choices", "default"}}.
scheduler: {"name": "asha_promotion" | "asha_stopping" | "hyperband" | "pasha" | "fifo", ...};
sampler: {"name": "random" | "evolutionary", ...}; further keywords are the tuner's settings
(max_trials, orphan_timeout_s, poll_s, checkpoints). The study lives in output/study.db, or in the
database `storage` names (a SQLite file or postgresql://user@host/db): every process that calls
tune with the same settings on the same study works on it too.)");
}

}  // namespace metaevo::python
