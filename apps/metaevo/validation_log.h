#pragma once
// The metrics.jsonl of a resumable run.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "metaevo/core/atomic_file.h"

namespace metaevo::cli {

// Keeps the records a resumed run's checkpoint covers (those whose `key`, e.g. "episode", is at
// most where it resumed), then appends new ones.
class ValidationLog {
 public:
  ValidationLog(std::string path, std::string key, int64_t resumed_at) : path_(std::move(path)), key_(std::move(key)) {
    std::string kept;
    if (resumed_at > 0 && std::filesystem::exists(path_)) {
      std::istringstream lines(read_file(path_));
      for (std::string line; std::getline(lines, line);)
        if (!line.empty() && nlohmann::json::parse(line).value(key_, int64_t(0)) <= resumed_at)
          kept += line + "\n";
    }
    write_file_atomic(path_, kept);
  }
  void operator()(const nlohmann::json& record) {
    std::ofstream(path_, std::ios::app) << record.dump() << "\n";
  }

 private:
  std::string path_, key_;
};

}  // namespace metaevo::cli
