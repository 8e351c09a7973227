#pragma once
// The one metrics log of every long command: a JSONL file whose first line names its x axis
// ({"metrics": "metaevo", "x": "generation"}), then one record per step of that axis. A resumed run
// keeps the records its checkpoint covers and drops the rest, a line torn by `kill -9` included,
// so the file ends equal to that of an uninterrupted run.
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace metaevo::run {

class MetricsLog {
 public:
  /// Starts `path` afresh, or, with `resumed_at`, keeps the intact records whose x is at most it.
  MetricsLog(std::string path, std::string x_key, std::optional<int64_t> resumed_at = std::nullopt);
  /// Appends `record`, which must hold the x key, and flushes it.
  void append(const nlohmann::json& record);
  const std::string& x_key() const { return x_key_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_, x_key_;
  std::ofstream out_;
};

struct Metrics {
  std::string x_key;  // empty when the file has no header
  std::vector<nlohmann::json> records;
};

/// Reads a metrics log; torn or empty lines are skipped, a missing file gives no records.
Metrics read_metrics(const std::string& path);

}  // namespace metaevo::run
