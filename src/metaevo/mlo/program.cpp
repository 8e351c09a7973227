#include "metaevo/mlo/program.h"

namespace metaevo::mlo {

ProblemOptions problem_options(const Config& problems, const std::string& name, ProblemOptions defaults) {
  return read_options(problems.section(name), std::move(defaults));
}

std::unique_ptr<Program> make_program(const Config& config, uint64_t seed) {
  const auto section = config.section("program");
  const auto type = section.get<std::string>("type", "");
  METAEVO_CHECK(!type.empty(), "{}: program.type: missing (choose one of: {})", config.origin(),
                ProgramRegistry::instance().names());
  return ProgramRegistry::instance().create(type, config.origin() + ": program.type", section,
                                            config.section("problems"), seed);
}

}  // namespace metaevo::mlo
