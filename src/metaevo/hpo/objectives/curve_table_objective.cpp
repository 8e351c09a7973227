// A recorded curve table as an objective: parameter `row` picks a configuration, and each "epoch"
// returns the recorded metrics at once; `seconds` is the recorded cost, so reports show simulated
// time. Its checkpoint holds just the epoch reached. With time_scale > 0 each epoch also sleeps its
// recorded seconds times time_scale, so worker processes overlap as they would on real trials.
#include <chrono>
#include <thread>

#include "metaevo/core/options.h"
#include "metaevo/core/serialize.h"
#include "metaevo/hpo/curve_table.h"
#include "metaevo/hpo/objective.h"
#include "metaevo/run/checkpointer.h"
#include "metaevo/run/settings.h"

namespace metaevo::hpo {
namespace {

struct TableOptions {
  std::string type = "curve_table";
  std::string path;
  double time_scale = 0;
  template <class V>
  void visit(V& v) {
    v("type", type, "curve_table");
    v("path", path, "JSON curve table (bench/hpo/*.json)");
    v("time_scale", time_scale, "sleep this fraction of each epoch's recorded seconds (0 = none)");
  }
  void validate() const {
    require(!path.empty(), "path", "is required");
    require(time_scale >= 0, "time_scale", "must be >= 0, got {}", time_scale);
  }
};

class TableRun : public TrialRun {
 public:
  TableRun(const CurveTable::Row& row, const Assignment& config, std::string checkpoint, double time_scale)
      : row_(row),
        checkpointer_(std::move(checkpoint), "hpo-curve-table", run::fingerprint(config)),
        time_scale_(time_scale) {
    checkpointer_.load([&](torch::serialize::InputArchive& archive) {
      epoch_ = int(read_scalar(archive, "epoch"));
      METAEVO_CHECK(epoch_ >= 0 && epoch_ <= int(row_.value.size()), "epoch {} out of range", epoch_);
    });
  }
  int epoch() const override { return epoch_; }
  EpochMetrics recorded(int e) const override {
    return {row_.value.at(e - 1), row_.test.at(e - 1), row_.seconds.at(e - 1)};
  }
  EpochMetrics train_epoch() override {
    METAEVO_CHECK(epoch_ < int(row_.value.size()), "the curve table has no epoch {}", epoch_ + 1);
    const auto m = recorded(++epoch_);
    if (time_scale_ > 0) std::this_thread::sleep_for(std::chrono::duration<double>(m.seconds * time_scale_));
    return m;
  }
  void save() override {
    checkpointer_.save([&](torch::serialize::OutputArchive& archive) { write_scalar(archive, "epoch", epoch_); });
  }

 private:
  const CurveTable::Row& row_;
  run::Checkpointer checkpointer_;
  double time_scale_;
  int epoch_ = 0;
};

class TableObjective : public Objective {
 public:
  explicit TableObjective(const Config& section)
      : options_(read_options<TableOptions>(section)), table_(CurveTable::load(options_.path)) {}

  SearchSpace default_space() const override {
    SearchSpace space;
    Param row;
    row.name = "row";
    row.kind = Param::Kind::kInt;
    row.low = 0;
    row.high = double(table_.rows.size() - 1);
    row.initial = 0;
    space.add(row);
    return space;
  }
  bool maximize() const override { return table_.maximize; }
  std::unique_ptr<TrialRun> open(const Assignment& config, uint64_t, const std::string& checkpoint) override {
    return std::make_unique<TableRun>(table_.rows.at(config.at("row").get<size_t>()), config, checkpoint,
                                      options_.time_scale);
  }

 private:
  TableOptions options_;
  CurveTable table_;
};

const Registrar<ObjectiveRegistry> curve_table_objective_registration(
    "curve_table", [](const Config& c) { return std::make_unique<TableObjective>(c); },
    variant_doc<TableOptions>("replays recorded learning curves (a table from `metaevo tune export`)"));

}  // namespace
}  // namespace metaevo::hpo
