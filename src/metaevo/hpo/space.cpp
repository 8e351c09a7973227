#include "metaevo/hpo/space.h"

#include <algorithm>
#include <cmath>

#include "metaevo/core/philox.h"

namespace metaevo::hpo {

namespace {

const char* kind_name(Param::Kind kind) {
  switch (kind) {
    case Param::Kind::kFloat:
      return "float";
    case Param::Kind::kInt:
      return "int";
    default:
      return "categorical";
  }
}

double to_unit(const Param& p, double x) {
  return p.log ? (std::log(x) - std::log(p.low)) / (std::log(p.high) - std::log(p.low))
               : (x - p.low) / (p.high - p.low);
}

double from_unit(const Param& p, double u) {
  u = std::clamp(u, 0.0, 1.0);
  double x =
      p.log ? std::exp(std::log(p.low) + u * (std::log(p.high) - std::log(p.low))) : p.low + u * (p.high - p.low);
  if (p.kind == Param::Kind::kInt) x = std::round(x);
  return std::clamp(x, p.low, p.high);
}

nlohmann::json numeric_json(const Param& p, double x) {
  return p.kind == Param::Kind::kInt ? nlohmann::json(int64_t(x)) : nlohmann::json(x);
}

}  // namespace

SearchSpace SearchSpace::from_config(const Config& section) {
  SearchSpace space;
  for (const auto& item : section.node()) {
    const std::string name = item.first.as<std::string>();
    const Config entry = section.section(name);
    Param p;
    p.name = name;
    const std::string type = entry.get<std::string>("type");
    if (type == "float")
      p.kind = Param::Kind::kFloat;
    else if (type == "int")
      p.kind = Param::Kind::kInt;
    else if (type == "categorical")
      p.kind = Param::Kind::kCategorical;
    else
      fail("{}: {}: unknown type '{}' (float, int, categorical)", entry.origin(), entry.path("type"), type);
    try {
      if (p.kind == Param::Kind::kCategorical) {
        // YAML scalars keep their natural JSON type: 32 stays a number, "relu" a string.
        const auto choices = entry.get_json("choices");
        METAEVO_CHECK(choices.is_array(), "choices: expected a list");
        p.choices = choices.get<std::vector<nlohmann::json>>();
      } else {
        p.low = entry.get<double>("low");
        p.high = entry.get<double>("high");
        p.log = entry.get<bool>("log", false);
      }
      if (entry.has("default")) {
        p.initial = entry.get_json("default");
        if (p.kind == Param::Kind::kInt && p.initial.is_number())
          p.initial = int64_t(std::llround(p.initial.get<double>()));
      }
      space.add(p);
    } catch (const Error& e) {
      fail("{}: {}: {}", entry.origin(), section.path(name), e.what());
    }
  }
  return space;
}

void SearchSpace::add(Param p) {
  METAEVO_CHECK(!p.name.empty(), "a parameter needs a name");
  for (const auto& q : params_) METAEVO_CHECK(q.name != p.name, "parameter '{}' is defined twice", p.name);
  if (p.kind == Param::Kind::kCategorical) {
    METAEVO_CHECK(!p.choices.empty(), "'{}': categorical needs at least one choice", p.name);
    if (p.initial.is_null()) p.initial = p.choices.front();
    METAEVO_CHECK(std::find(p.choices.begin(), p.choices.end(), p.initial) != p.choices.end(),
                  "'{}': default {} is not one of the choices", p.name, p.initial.dump());
  } else {
    METAEVO_CHECK(std::isfinite(p.low) && std::isfinite(p.high) && p.low <= p.high,
                  "'{}': need low <= high, got [{}, {}]", p.name, p.low, p.high);
    METAEVO_CHECK(!p.log || p.low > 0, "'{}': log scale needs low > 0, got {}", p.name, p.low);
    if (p.kind == Param::Kind::kInt)
      METAEVO_CHECK(p.low == std::round(p.low) && p.high == std::round(p.high), "'{}': int bounds must be integers",
                    p.name);
    if (p.initial.is_null()) {
      // The middle of the (log) range.
      p.initial = numeric_json(p, from_unit(p, 0.5));
    }
    METAEVO_CHECK(p.initial.is_number(), "'{}': default must be a number, got {}", p.name, p.initial.dump());
    const double x = p.initial.get<double>();
    METAEVO_CHECK(x >= p.low && x <= p.high, "'{}': default {} is outside [{}, {}]", p.name, x, p.low, p.high);
  }
  params_.push_back(std::move(p));
}

Assignment SearchSpace::defaults() const {
  Assignment out = Assignment::object();
  for (const auto& p : params_) out[p.name] = p.initial;
  return out;
}

nlohmann::json SearchSpace::draw(const Param& p, Draws& draws) const {
  if (p.kind == Param::Kind::kCategorical) return p.choices[draws.below(p.choices.size())];
  if (p.kind == Param::Kind::kInt && !p.log) return int64_t(p.low) + int64_t(draws.below(uint64_t(p.high - p.low) + 1));
  return numeric_json(p, from_unit(p, draws.uniform()));
}

Assignment SearchSpace::sample(Draws& draws) const {
  Assignment out = Assignment::object();
  for (const auto& p : params_) out[p.name] = draw(p, draws);
  return out;
}

Assignment SearchSpace::mutate(const Assignment& parent, Draws& draws, double scale) const {
  Assignment child = parent;
  if (params_.empty()) return child;
  const Param& p = params_[draws.below(params_.size())];
  if (p.kind == Param::Kind::kCategorical) {
    if (p.choices.size() > 1) {
      // Another choice, uniformly among the rest.
      auto current = std::find(p.choices.begin(), p.choices.end(), parent.at(p.name)) - p.choices.begin();
      auto pick = int64_t(draws.below(p.choices.size() - 1));
      child[p.name] = p.choices[pick >= current ? pick + 1 : pick];
    }
    return child;
  }
  const double u = to_unit(p, parent.at(p.name).get<double>()) + scale * draws.normal();
  child[p.name] = numeric_json(p, from_unit(p, u));
  return child;
}

void SearchSpace::validate(const Assignment& config, const std::string& origin) const {
  METAEVO_CHECK(config.is_object(), "{}: a configuration must be a JSON object, got {}", origin, config.dump());
  for (const auto& p : params_) {
    METAEVO_CHECK(config.contains(p.name), "{}: parameter '{}' is missing", origin, p.name);
    const auto& v = config.at(p.name);
    if (p.kind == Param::Kind::kCategorical) {
      METAEVO_CHECK(std::find(p.choices.begin(), p.choices.end(), v) != p.choices.end(),
                    "{}: '{}' = {} is not one of the choices", origin, p.name, v.dump());
      continue;
    }
    METAEVO_CHECK(v.is_number() && (p.kind != Param::Kind::kInt || v.is_number_integer()),
                  "{}: '{}' = {} is not of type {}", origin, p.name, v.dump(), kind_name(p.kind));
    const double x = v.get<double>();
    METAEVO_CHECK(x >= p.low && x <= p.high, "{}: '{}' = {} is outside [{}, {}]", origin, p.name, x, p.low, p.high);
  }
  for (const auto& item : config.items()) {
    const auto& key = item.key();
    METAEVO_CHECK(std::any_of(params_.begin(), params_.end(), [&](const Param& p) { return p.name == key; }),
                  "{}: unknown parameter '{}'", origin, key);
  }
}

}  // namespace metaevo::hpo
