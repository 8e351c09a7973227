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
  // fp16 is CUDA's: refused before the program loads its data. Every program reads `device`.
  const auto device = section.get<std::string>("device", "cpu");
  const auto problems = config.section("problems");
  for (const auto& name : problems.keys())
    if (precision_of(problem_options(problems, name, {}).precision) == Precision::fp16 && device.rfind("cuda", 0) != 0)
      fail("{}: problems.{}.precision: fp16 needs a CUDA device (program.device is {}); bf16 runs on the CPU",
           config.origin(), name, device);
  return ProgramRegistry::instance().create(type, config.origin() + ": program.type", section,
                                            config.section("problems"), seed);
}

}  // namespace metaevo::mlo
