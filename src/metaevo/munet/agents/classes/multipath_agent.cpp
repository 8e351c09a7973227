// `multipath`: Gesmundo's mu4Net multipath agent (reference/munet.md section 4). Its models join
// frozen, already-published paths: path_0, a random one of its task's published single paths
// (or, with main_path: best, the best by the system's score), and other tasks' paths (the
// parent's, else random ones), through a trained router and connectors (multipath/multipath.h).
// Each generation makes a child of a parent chosen by decay selection over the agent's models (or
// a fresh one), steps num_paths and router_lr_mult over their lists with the class's mutation
// rate, starts it from the parent's router and connectors where they fit, trains it, and keeps it
// when it beats its parent; a cycle publishes the best model. Until the system holds a published
// path of its task and one of another, its generations wait.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "metaevo/core/philox.h"
#include "metaevo/munet/agents/agent_class.h"

namespace metaevo::munet {
namespace {

struct MultipathAgentOptions {
  std::vector<int64_t> num_paths{2, 3};  // values num_paths steps over; a fresh model takes the first
  std::vector<double> router_lr_mult{0.05, 0.01, 0.02, 0.1, 0.2, 0.5, 1};  // the same for router_lr_mult
  double router_init_main_path_weight = 0.8;
  double probability = 0.3;          // chance that a child steps each of the two
  std::vector<std::string> attach;   // tasks whose published paths every model attaches first
  std::string main_path = "random";  // path_0: "random" (the reference's) or "best" (by the system's score)
  template <class V>
  void visit(V& v) {
    v("num_paths", num_paths, "the values num_paths steps over; a fresh model takes the first");
    v("router_lr_mult", router_lr_mult, "the values router_lr_mult steps over; a fresh model takes the first");
    v("router_init_main_path_weight", router_init_main_path_weight, "the main path's router weight at first");
    v("probability", probability, "chance that a child steps each of num_paths and router_lr_mult");
    v("attach", attach, "tasks whose published paths every model attaches first (the reference's hint)");
    v("main_path", main_path, "path_0 among the task's published paths: random (the reference's) or best");
  }
  void validate() const {
    require(!num_paths.empty(), "num_paths", "list at least one value");
    require(!router_lr_mult.empty(), "router_lr_mult", "list at least one value");
    MultipathOptions check;
    check.router_init_main_path_weight = router_init_main_path_weight;
    for (const auto n : num_paths) {
      check.num_paths = n;
      for (const auto m : router_lr_mult) {
        check.router_lr_mult = m;
        check.validate();
      }
    }
    require(probability >= 0 && probability <= 1, "probability", "must be in [0, 1], got {}", probability);
    require(main_path == "random" || main_path == "best", "main_path", "must be random or best, got '{}'", main_path);
  }
  /// A model's options one step away from `from` in each list, each with chance `probability`.
  MultipathOptions step(const MultipathOptions& from, Rng& rng) const {
    auto o = from;
    const auto sorted = [](auto values) {
      std::sort(values.begin(), values.end());
      return std::vector<nlohmann::json>(values.begin(), values.end());
    };
    if (rng.uniform() < probability) o.num_paths = incremental_step("num_paths", sorted(num_paths), o.num_paths, rng);
    if (rng.uniform() < probability)
      o.router_lr_mult = incremental_step("router_lr_mult", sorted(router_lr_mult), o.router_lr_mult, rng);
    return o;
  }
};

PathPtr pick(const std::vector<PathPtr>& from, Rng& rng) { return from[rng.below(from.size())]; }

class MultipathAgent : public AgentClass {
 public:
  explicit MultipathAgent(MultipathAgentOptions o) : o_(std::move(o)) {}

  void generation(AgentSearch& a, Rng& rng) const override {
    const auto& task = a.splits.name;
    std::vector<PathPtr> mains;
    std::map<std::string, std::vector<PathPtr>> others;  // per task
    for (const auto& key : a.population.tasks())
      for (const auto& p : a.population.paths(key)) (p->task == task ? mains : others[p->task]).push_back(p);
    for (const auto& t : o_.attach)
      METAEVO_CHECK(t != task && std::count(a.s.tasks.begin(), a.s.tasks.end(), t),
                    "{}: agent_classes.multipath.attach: '{}' is not another task of the system (tasks: {})", a.agent,
                    t, fmt::join(a.s.tasks, ", "));
    // Agents of every class start at once: until single-path agents publish, there is nothing to
    // build on, and the generation is spent waiting.
    std::vector<PathPtr> pool;
    for (const auto& [t, ps] : others) pool.insert(pool.end(), ps.begin(), ps.end());
    if (mains.empty() || pool.empty()) {
      spdlog::warn("{}: nothing to build on yet: the system has {} published paths of '{}' and {} of other tasks",
                   a.label, mains.size(), task, pool.size());
      return;
    }

    auto& models = a.state.multipaths;  // best first
    MultipathPtr parent;
    for (const auto& m : models)
      if (rng.uniform() < std::pow(0.5, double(m->offsprings))) {
        parent = m;
        break;
      }
    MultipathOptions fresh;
    fresh.num_paths = o_.num_paths.front();
    fresh.router_lr_mult = o_.router_lr_mult.front();
    fresh.router_init_main_path_weight = o_.router_init_main_path_weight;
    const auto options = o_.step(parent ? parent->options() : fresh, rng);

    std::vector<PathPtr> paths{o_.main_path == "best" ? *std::max_element(mains.begin(), mains.end(),
                                                                          [&](const PathPtr& x, const PathPtr& y) {
                                                                            return a.scorer(*x) < a.scorer(*y);
                                                                          })
                                                      : pick(mains, rng)};
    const auto add = [&](const PathPtr& p) {
      if (int64_t(paths.size()) < options.num_paths &&
          std::none_of(paths.begin(), paths.end(), [&](const PathPtr& q) { return q->id == p->id; }))
        paths.push_back(p);
    };
    for (const auto& t : o_.attach)
      if (others.count(t)) add(pick(others.at(t), rng));
    if (parent)
      for (size_t k = 1; k < parent->paths().size(); ++k) add(parent->paths()[k]);
    for (int tries = 0; int64_t(paths.size()) < options.num_paths && tries < 100; ++tries) add(pick(pool, rng));
    if (int64_t(paths.size()) < options.num_paths) {
      spdlog::warn("{}: num_paths {} needs {} published paths of other tasks; the system has {}", a.label,
                   options.num_paths, options.num_paths - 1, pool.size());
      return;
    }

    auto child = std::make_shared<MultipathModel>(task, std::move(paths), options, a.s.vit);
    child->id = a.population.next_id();
    if (parent) {
      inherit(*child, *parent);
      ++parent->offsprings;
    }
    const double bar = parent ? parent->quality : -std::numeric_limits<double>::infinity();
    const auto result = train_multipath(*child, a.splits, a.s.train, bar, mix64(a.s.seed, uint64_t(child->id)));
    spdlog::info("{}: multipath {} over paths [{}] (num_paths {}, router_lr_mult {}): validation {:.4f}{}", a.label,
                 child->id, fmt::join(ids(*child), ", "), options.num_paths, options.router_lr_mult, child->quality,
                 result.improved ? ", kept" : "");
    if (!result.improved) return;
    models.push_back(child);
    std::stable_sort(models.begin(), models.end(),
                     [](const MultipathPtr& x, const MultipathPtr& y) { return x->quality > y->quality; });
    if (int64_t(models.size()) > a.max_population) models.resize(size_t(a.max_population));
  }

  double best_quality(const AgentSearch& a) const override {
    return a.state.multipaths.empty() ? 0.0 : a.state.multipaths.front()->quality;
  }

  nlohmann::json finish(AgentSearch& a, AgentState& published) const override {
    if (a.state.multipaths.empty()) return nlohmann::json::object();
    const auto best = a.state.multipaths.front();
    best->test_quality = evaluate(*best, a.splits.test, a.s.train.batch_size);
    published.multipaths = {best};
    std::set<std::string> uses;
    nlohmann::json tasks = nlohmann::json::array();
    for (const auto& p : best->paths()) {
      tasks.push_back(p->task);
      for (const auto& owner : used_agents(*p, a.agent, a.store)) uses.insert(owner);
    }
    return {{"path", best->id},
            {"validation_accuracy", best->quality},
            {"test_accuracy", best->test_quality},
            {"uses", uses},
            {"multipath",
             {{"paths", ids(*best)},
              {"tasks", tasks},
              {"main_path_test_accuracy", best->paths().front()->test_quality},
              {"num_paths", best->options().num_paths},
              {"router_lr_mult", best->options().router_lr_mult},
              {"activated_params", best->activated_params()},
              {"trained_params", best->trained_params()}}}};
  }

 private:
  /// As a muNet child inherits its parent's weights: the parent's router when the child has its
  /// main path and number of paths, and its connector of each path the child keeps in the same
  /// place; the rest starts as at initialisation.
  static void inherit(MultipathModel& child, const MultipathModel& parent) {
    const auto mine = child.trainable(), theirs = parent.trainable();
    torch::NoGradGuard no_grad;
    const auto& cp = child.paths();
    const auto& pp = parent.paths();
    if (cp[0]->id == pp[0]->id && cp.size() == pp.size())
      for (size_t i = 0; i < 4; ++i) mine[i].copy_(theirs[i]);
    for (size_t k = 1; k < std::min(cp.size(), pp.size()); ++k)
      if (cp[k]->id == pp[k]->id)
        for (size_t i = 0; i < 2; ++i) mine[4 + 2 * (k - 1) + i].copy_(theirs[4 + 2 * (k - 1) + i]);
  }

  static std::vector<int64_t> ids(const MultipathModel& m) {
    std::vector<int64_t> out;
    for (const auto& p : m.paths()) out.push_back(p->id);
    return out;
  }

  MultipathAgentOptions o_;
};

const Registrar<AgentClassRegistry> multipath_agent_registration(
    "multipath",
    [](const Config& block) { return std::make_unique<MultipathAgent>(read_options<MultipathAgentOptions>(block)); },
    variant_doc<MultipathAgentOptions>("mu4Net multipath models: frozen published paths of its task and others, "
                                       "joined by a trained per-sample router and connectors"));

}  // namespace
}  // namespace metaevo::munet
