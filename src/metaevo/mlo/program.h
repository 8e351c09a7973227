#pragma once
// A multilevel program ready to run: its problems, their dependencies and its validation. Programs
// are C++ (a loss is code), chosen and parameterised by config: `program.type` names one registered
// in programs/, `program.*` are its settings and `problems.<name>.*` each problem's ProblemOptions
// over the program's defaults. A new example is one new file.
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "metaevo/core/config.h"
#include "metaevo/core/registry.h"
#include "metaevo/mlo/engine.h"

namespace metaevo::mlo {

class Program {
 public:
  virtual ~Program() = default;
  /// Metrics of the current parameters, e.g. {"test_acc": ...}.
  virtual nlohmann::json validate() = 0;

  std::vector<std::shared_ptr<Problem>> problems;
  Dependencies dependencies;
};

/// (program section, problems section, seed).
using ProgramRegistry = Registry<Program, const Config&, const Config&, uint64_t>;

/// The ProblemOptions of problem `name`: `defaults` overridden by problems.<name> of the config.
ProblemOptions problem_options(const Config& problems, const std::string& name, ProblemOptions defaults);

/// Builds `program.type` from a whole run config.
std::unique_ptr<Program> make_program(const Config& config, uint64_t seed);

}  // namespace metaevo::mlo
