#pragma once
// What the routing programs' tests share: small synthetic tasks, and a program's whole saved state
// (weights, optimizer moments, counters) for comparing runs.
#include <torch/torch.h>

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "metaevo/core/random_stream.h"
#include "metaevo/routing/program.h"

namespace metaevo::testing {

using routing::Program;

/// Task t: `classes` classes whose images are noise around a per-class pattern, 12x12.
inline data::Splits routing_task(int64_t t, int64_t classes) {
  auto generator = torch_generator(100 + uint64_t(t));
  const auto patterns = torch::rand({classes, 1, 12, 12}, generator);
  auto split = [&](int64_t per_class) {
    const auto y = torch::arange(classes).repeat({per_class});
    return data::Split{patterns.index({y}) + 0.3 * torch::randn({y.size(0), 1, 12, 12}, generator), y};
  };
  return {"task" + std::to_string(t), split(8), split(3), split(4), classes, {}};
}

inline std::vector<data::Splits> routing_tasks() {
  return {routing_task(0, 3), routing_task(1, 4), routing_task(2, 3)};
}

inline std::string bytes_of(const Program& p) {
  torch::serialize::OutputArchive archive;
  p.save(archive);
  std::ostringstream out;
  archive.save_to(out);
  return out.str();
}

// Every tensor of `archive` by path, entries named by `rename` where it has them. A LibTorch
// optimizer keys its state by each parameter's address, which differs between instances; its
// param_groups list the addresses in parameter order, so a state entry is named by that position.
inline void collect(torch::serialize::InputArchive& archive, const std::string& prefix,
                    std::map<std::string, torch::Tensor>& out, const std::map<std::string, std::string>& rename = {}) {
  std::map<std::string, std::string> position;  // address -> "group.index"
  torch::serialize::InputArchive groups;
  if (archive.try_read("param_groups", groups))
    for (const auto& g : groups.keys()) {
      torch::serialize::InputArchive group;
      torch::Tensor size;
      if (!groups.try_read(g, group) || !group.try_read("params/size", size)) continue;
      for (int64_t i = 0; i < size.item<int64_t>(); ++i) {
        c10::IValue address;
        group.read("params/" + std::to_string(i), address);
        position[address.toStringRef()] = g + "." + std::to_string(i);
      }
    }
  for (const auto& key : archive.keys()) {
    const auto name = prefix + (rename.count(key) ? rename.at(key) : key);
    torch::Tensor t;
    torch::serialize::InputArchive sub;
    if (archive.try_read(key, t))
      out[name] = t;
    else if (key != "param_groups" && archive.try_read(key, sub))
      collect(sub, name + "/", out, key == "state" ? position : std::map<std::string, std::string>{});
  }
}

/// The program's whole state: weights, logits, optimizer moments, step counters.
inline std::map<std::string, torch::Tensor> saved(const Program& p) {
  std::istringstream bytes(bytes_of(p));
  torch::serialize::InputArchive archive;
  archive.load_from(bytes);
  std::map<std::string, torch::Tensor> out;
  collect(archive, "", out);
  return out;
}

inline bool same_state(const Program& a, const Program& b) {
  const auto x = saved(a), y = saved(b);
  if (x.size() != y.size() || x.size() < 10) return false;
  for (const auto& [key, t] : x)
    if (!y.count(key) || !torch::equal(t, y.at(key))) return false;
  return true;
}

}  // namespace metaevo::testing
