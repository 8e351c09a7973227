#pragma once
// A tiny multi-agent muNet system for the agent tests: settings that train in a second, a second
// toy task, and agent classes by name.
#include <memory>
#include <string>

#include "metaevo/munet/agents/agent_class.h"
#include "munet_tasks.h"

namespace metaevo::testing {

inline munet::EvolveSettings tiny_agent_system() {
  munet::EvolveSettings s;
  s.seed = 5;
  s.vit = small_vit();
  s.train.batch_size = 32;
  s.train.validations = 2;
  s.train.batches_between_validations = 4;
  s.train.validation_batches = 2;
  return s;
}

/// The quadrants task with every image mirrored, under another name.
inline data::Splits mirrored(int64_t n) {
  auto t = quadrants(n);
  t.name = "mirrored";
  for (auto* split : {&t.train, &t.valid, &t.test}) split->x = split->x.flip({3});
  return t;
}

/// Agent class `name` with the options block `block` (YAML).
inline std::unique_ptr<munet::AgentClass> agent_class(const std::string& name, const std::string& block = "{}") {
  return munet::AgentClassRegistry::instance().create(name, "test", Config::parse(block, "test.yaml"));
}

}  // namespace metaevo::testing
