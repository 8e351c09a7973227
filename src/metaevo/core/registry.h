#pragma once
// Name -> factory maps for the variation points (strategies, shaping, optimizers, problems).
// Adding one is a new file with a static `Registrar`; the registry names the valid choices in its
// error, so a misspelt config value lists the alternatives.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "metaevo/core/error.h"

namespace metaevo {

template <typename Base, typename... Args>
class Registry {
 public:
  using Factory = std::function<std::unique_ptr<Base>(Args...)>;

  static Registry& instance() {
    static Registry registry;
    return registry;
  }
  void add(const std::string& name, Factory factory) { factories_[name] = std::move(factory); }
  bool contains(const std::string& name) const { return factories_.count(name) > 0; }
  std::vector<std::string> keys() const {
    std::vector<std::string> out;
    for (const auto& [name, _] : factories_) out.push_back(name);
    return out;
  }
  std::string names() const {
    std::string out;
    for (const auto& [name, _] : factories_) out += (out.empty() ? "" : ", ") + name;
    return out;
  }
  /// `what` names the setting for the error, e.g. "es.strategy.name".
  std::unique_ptr<Base> create(const std::string& name, const std::string& what, Args... args) const {
    auto it = factories_.find(name);
    if (it == factories_.end()) fail("{}: unknown '{}' (choose one of: {})", what, name, names());
    return it->second(std::forward<Args>(args)...);
  }

 private:
  std::map<std::string, Factory> factories_;
};

/// Registers a factory at static-initialisation time.
template <typename Reg>
struct Registrar {
  Registrar(const std::string& name, typename Reg::Factory factory) { Reg::instance().add(name, std::move(factory)); }
};

}  // namespace metaevo
