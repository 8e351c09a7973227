#pragma once
// Name -> factory maps for the variation points (strategies, shaping, optimizers, problems).
// Adding one is a new file with a static `Registrar`; the registry names the valid choices in its
// error, so a misspelt config value lists the alternatives. A registration may carry its doc (a
// summary and its options' rows), which `metaevo <command> --describe` and the README print.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "metaevo/core/error.h"
#include "metaevo/core/options.h"

namespace metaevo {

/// What `--describe` and the README's option tables say about a registered variant.
struct VariantDoc {
  std::string summary;
  std::vector<OptionRow> options;
};

/// The doc of a variant that reads the options struct `Options` (its defaults as registered).
template <typename Options>
VariantDoc variant_doc(std::string summary, Options defaults = {}) {
  return {std::move(summary), describe(std::move(defaults))};
}

template <typename Base, typename... Args>
class Registry {
 public:
  using Factory = std::function<std::unique_ptr<Base>(Args...)>;

  static Registry& instance() {
    static Registry registry;
    return registry;
  }
  void add(const std::string& name, Factory factory, VariantDoc doc = {}) {
    factories_[name] = std::move(factory);
    docs_[name] = std::move(doc);
  }
  /// The doc `name` was registered with (empty if none); an Error if unknown.
  const VariantDoc& doc(const std::string& name) const {
    auto it = docs_.find(name);
    if (it == docs_.end()) fail("unknown '{}' (choose one of: {})", name, names());
    return it->second;
  }
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
  std::map<std::string, VariantDoc> docs_;
};

/// Registers a factory at static-initialisation time.
template <typename Reg>
struct Registrar {
  Registrar(const std::string& name, typename Reg::Factory factory, VariantDoc doc = {}) {
    Reg::instance().add(name, std::move(factory), std::move(doc));
  }
};

}  // namespace metaevo
