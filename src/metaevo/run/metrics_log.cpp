#include "metaevo/run/metrics_log.h"

#include <filesystem>
#include <sstream>

#include "metaevo/core/atomic_file.h"
#include "metaevo/core/error.h"
#include "metaevo/run/fault.h"

namespace metaevo::run {
namespace {

nlohmann::json header(const std::string& x_key) { return {{"metrics", "metaevo"}, {"x", x_key}}; }

bool is_header(const nlohmann::json& line) { return line.is_object() && line.value("metrics", "") == "metaevo"; }

}  // namespace

Metrics read_metrics(const std::string& path) {
  Metrics metrics;
  if (!std::filesystem::exists(path)) return metrics;
  std::istringstream in(read_file(path));
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    auto record = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (record.is_discarded() || !record.is_object()) continue;
    if (is_header(record))
      metrics.x_key = record.value("x", "");
    else
      metrics.records.push_back(std::move(record));
  }
  return metrics;
}

MetricsLog::MetricsLog(std::string path, std::string x_key, std::optional<int64_t> resumed_at)
    : path_(std::move(path)), x_key_(std::move(x_key)) {
  std::string kept = header(x_key_).dump() + "\n";
  if (resumed_at) {
    const auto old = read_metrics(path_);
    if (!old.x_key.empty() && old.x_key != x_key_)
      fail("{}: a metrics log over '{}', not '{}'", path_, old.x_key, x_key_);
    for (const auto& record : old.records)
      if (record.value(x_key_, int64_t(0)) <= *resumed_at) kept += record.dump() + "\n";
  }
  write_file_atomic(path_, kept);
  out_.open(path_, std::ios::app | std::ios::binary);
  if (!out_) fail("{}: cannot write metrics", path_);
}

void MetricsLog::append(const nlohmann::json& record) {
  METAEVO_CHECK(record.contains(x_key_), "{}: a metrics record without '{}': {}", path_, x_key_, record.dump());
  const std::string line = record.dump() + "\n";
  if (crash_due("metrics")) {
    out_ << line.substr(0, line.size() / 2);
    out_.flush();
  } else {
    out_ << line;
    out_.flush();
  }
  crash_point("metrics");
}

}  // namespace metaevo::run
