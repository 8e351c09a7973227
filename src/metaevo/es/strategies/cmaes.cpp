// CMA-ES (Hansen, "The CMA Evolution Strategy: A Tutorial", arXiv:1604.00772, 2016), registered as
// `cmaes`, and its separable variant `sep_cmaes` (Ros & Hansen 2008, "A simple modification in
// CMA-ES achieving linear time and space complexity"), with IPOP restarts (Auger & Hansen 2005, "A
// restart CMA evolution strategy with increasing population size").
//
// One generation, with y_i = (x_{i:lambda} - m) / sigma of the mu best members and y_w = sum w_i y_i:
//   m     <- m + sigma y_w
//   p_s   <- (1 - c_s) p_s + sqrt(c_s (2 - c_s) mu_eff) C^{-1/2} y_w
//   p_c   <- (1 - c_c) p_c + h_s sqrt(c_c (2 - c_c) mu_eff) y_w
//   C     <- (1 - c_1 - c_mu + (1 - h_s) c_1 c_c (2 - c_c)) C + c_1 p_c p_c^T + c_mu sum w_i y_i y_i^T
//   sigma <- sigma exp(min(1, c_s / d_s (|p_s| / E|N(0, I)| - 1)))
// with the tutorial's default lambda, mu, weights, c_s, d_s, c_c, c_1, c_mu (Table 1). C = B D^2 B^T is
// decomposed every max(1, floor(1 / (10 n (c_1 + c_mu)))) generations, which amortises the O(n^3)
// eigendecomposition to O(n^2) per generation. `sep_cmaes` keeps only diag(C) (O(n) memory besides
// the [lambda, n] samples, for networks with 1e5+ parameters) and multiplies c_1 and c_mu by (n + 2) / 3.
//
// A run ends on the IPOP criteria: tolfun (the best values of the last 10 + ceil(30 n / lambda)
// generations and all of this generation's values lie within `tolfun`), tolx (sigma sqrt(C_ii) and
// sigma p_c,i below tolx * sigma0 in every coordinate), cond(C) > max_condition, no effect of a
// principal axis or of a coordinate on m, sigma / sigma0 > 1e20 max(D) (Hansen 2009, BBOB BIPOP),
// or a non-finite sigma. Then, while `restarts` allows, the next run starts with lambda multiplied
// by `pop_increase` and fresh C, paths and sigma; otherwise stop_reason() reports the criterion.
//
// Start points: with restart_box = 0 every run starts at x0; with restart_box = b every run, the first
// included, starts at x0 + U(-b, b)^n as in the IPOP paper (x0 is then the center of the box). That
// point and the samples z_k of member k at generation g are counter-based Philox numbers,
// (seed; g, k, run) for samples, so any process rebuilds them and nothing depends on the clock.
//
// center() is the mean m while the search goes on and the best member ever evaluated once
// stop_reason() is non-empty: after restarts the last run's mean may sit in a worse local optimum
// than one found earlier, and the best member is a value that was actually measured.
#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>

#include "metaevo/core/options.h"
#include "metaevo/core/philox.h"
#include "metaevo/core/runtime.h"
#include "metaevo/core/serialize.h"
#include "metaevo/es/strategy.h"

namespace metaevo::es {
namespace {

struct CMAESOptions {
  int64_t population = 0;  // 0: 4 + floor(3 ln n)
  double sigma = 0.5;
  int64_t restarts = 0;
  double pop_increase = 2.0;
  double restart_box = 0.0;
  double tolfun = 1e-12;
  double tolx = 1e-12;
  double max_condition = 1e14;
  template <class V>
  void visit(V& v) {
    v("population", population, "lambda of the first run; 0 = 4 + floor(3 ln d)");
    v("sigma", sigma, "initial step size sigma0 (about 1/4 to 1/2 of the search range per coordinate)");
    v("restarts", restarts, "IPOP: most restarts after a run ends, each with a larger population; 0 = none");
    v("pop_increase", pop_increase, "IPOP: factor on lambda at each restart");
    v("restart_box", restart_box,
      "half-width of the box around x0 from which every run (the first included) draws its start point; "
      "0 = every run starts at x0");
    v("tolfun", tolfun, "end a run when recent best values and this generation's values lie within this range");
    v("tolx", tolx, "end a run when all step sizes fall below tolx * sigma");
    v("max_condition", max_condition, "end a run when the condition number of C exceeds this");
  }
  void validate() const {
    require(population == 0 || population >= 2, "population", "must be 0 (auto) or >= 2, got {}", population);
    require(sigma > 0 && std::isfinite(sigma), "sigma", "must be > 0, got {}", sigma);
    require(restarts >= 0, "restarts", "must be >= 0, got {}", restarts);
    require(pop_increase >= 1, "pop_increase", "must be >= 1, got {}", pop_increase);
    require(restart_box >= 0, "restart_box", "must be >= 0, got {}", restart_box);
    require(tolfun >= 0, "tolfun", "must be >= 0, got {}", tolfun);
    require(tolx >= 0, "tolx", "must be >= 0, got {}", tolx);
    require(max_condition > 1, "max_condition", "must be > 1, got {}", max_condition);
  }
};

/// The tutorial's strategy parameters (Table 1): functions of n and lambda only, so a checkpoint
/// stores lambda and rebuilds the rest.
struct Constants {
  int64_t lambda = 0, mu = 0;
  torch::Tensor weights;  // float64 [mu], positive, summing to 1
  double mueff = 0, cc = 0, cs = 0, c1 = 0, cmu = 0, damps = 0, chi_n = 0;
  int64_t eigen_interval = 1;  // generations between eigendecompositions
  int64_t history = 0;         // generations of best values that tolfun looks back over

  Constants() = default;
  Constants(int64_t n, int64_t lambda_, bool separable) : lambda(lambda_), mu(lambda_ / 2) {
    const double nd = double(n);
    auto w = std::log((double(lambda) + 1) / 2) - torch::arange(1, mu + 1, torch::kFloat64).log();
    weights = w / w.sum();
    mueff = 1 / weights.square().sum().item<double>();
    cc = (4 + mueff / nd) / (nd + 4 + 2 * mueff / nd);
    cs = (mueff + 2) / (nd + mueff + 5);
    c1 = 2 / ((nd + 1.3) * (nd + 1.3) + mueff);
    cmu = std::min(1 - c1, 2 * (mueff - 2 + 1 / mueff) / ((nd + 2) * (nd + 2) + mueff));
    if (separable) {
      // A diagonal C has n instead of n^2/2 degrees of freedom to learn, so it can learn faster.
      c1 *= (nd + 2) / 3;
      cmu = std::min(1 - c1, cmu * (nd + 2) / 3);
    }
    damps = 1 + 2 * std::max(0.0, std::sqrt((mueff - 1) / (nd + 1)) - 1) + cs;
    chi_n = std::sqrt(nd) * (1 - 1 / (4 * nd) + 1 / (21 * nd * nd));
    eigen_interval = std::max<int64_t>(1, int64_t(std::floor(1 / (10 * nd * (c1 + cmu)))));
    history = 10 + int64_t(std::ceil(30 * nd / double(lambda)));
  }
};

/// C = B D^2 B^T, the part of CMA-ES whose cost depends on its shape. B and D are refreshed only by
/// decompose(), so between decompositions sampling uses the last factorisation (as the tutorial does).
class Covariance {
 public:
  virtual ~Covariance() = default;
  /// Rows z [P, n] -> rows B D z.
  virtual torch::Tensor transform(const torch::Tensor& z) const = 0;
  /// C^{-1/2} y = B D^{-1} B^T y for a vector y.
  virtual torch::Tensor whiten(const torch::Tensor& y) const = 0;
  /// C <- decay C + c1 pc pc^T + cmu sum_i w_i y_i y_i^T over the rows y_i of y.
  virtual void update(double decay, double c1, const torch::Tensor& pc, double cmu, const torch::Tensor& w,
                      const torch::Tensor& y) = 0;
  virtual void decompose() = 0;
  virtual torch::Tensor variances() const = 0;  // diag(C)
  /// D_i times the i-th principal axis.
  virtual torch::Tensor axis(int64_t i) const = 0;
  torch::Tensor eigenvalues() const { return d_.square(); }
  virtual void save(torch::serialize::OutputArchive& archive) const = 0;
  virtual void load(torch::serialize::InputArchive& archive) = 0;

 protected:
  torch::Tensor d_;  // float64 [n]: square roots of the eigenvalues at the last decomposition
};

class FullCovariance : public Covariance {
 public:
  explicit FullCovariance(int64_t n) : c_(torch::eye(n, torch::kFloat64)), b_(torch::eye(n, torch::kFloat64)) {
    d_ = torch::ones({n}, torch::kFloat64);
  }
  torch::Tensor transform(const torch::Tensor& z) const override { return (z * d_).mm(b_.t()); }
  torch::Tensor whiten(const torch::Tensor& y) const override { return b_.mv(b_.t().mv(y) / d_); }
  void update(double decay, double c1, const torch::Tensor& pc, double cmu, const torch::Tensor& w,
              const torch::Tensor& y) override {
    c_.mul_(decay).add_(torch::outer(pc, pc), c1).add_((y.t() * w).mm(y), cmu);
  }
  void decompose() override {
    // eigh reads only the lower triangle, so rounding asymmetry in C cannot leak into B.
    auto [values, vectors] = torch::linalg::eigh(c_, "L");
    // Rounding can push a tiny eigenvalue below zero; the condition criterion then ends the run.
    d_ = values.clamp_min(std::numeric_limits<double>::min()).sqrt();
    b_ = vectors;
  }
  torch::Tensor variances() const override { return c_.diagonal(); }
  torch::Tensor axis(int64_t i) const override { return b_.select(1, i) * d_[i]; }
  void save(torch::serialize::OutputArchive& archive) const override {
    archive.write("C", c_);
    archive.write("B", b_);
    archive.write("D", d_);
  }
  void load(torch::serialize::InputArchive& archive) override {
    read_tensor(archive, "C", c_);
    read_tensor(archive, "B", b_);
    read_tensor(archive, "D", d_);
  }

 private:
  torch::Tensor c_, b_;  // float64 [n, n]
};

/// sep-CMA: B = I, so only diag(C) is kept and every operation is O(n).
class DiagonalCovariance : public Covariance {
 public:
  explicit DiagonalCovariance(int64_t n) : c_(torch::ones({n}, torch::kFloat64)) { d_ = c_.clone(); }
  torch::Tensor transform(const torch::Tensor& z) const override { return z * d_; }
  torch::Tensor whiten(const torch::Tensor& y) const override { return y / d_; }
  void update(double decay, double c1, const torch::Tensor& pc, double cmu, const torch::Tensor& w,
              const torch::Tensor& y) override {
    c_.mul_(decay).add_(pc.square(), c1).add_(w.matmul(y.square()), cmu);
  }
  void decompose() override { d_ = c_.sqrt(); }
  torch::Tensor variances() const override { return c_; }
  torch::Tensor axis(int64_t i) const override {
    auto e = torch::zeros_like(d_);
    e[i] = d_[i];
    return e;
  }
  void save(torch::serialize::OutputArchive& archive) const override {
    archive.write("diag_C", c_);
    archive.write("diag_D", d_);
  }
  void load(torch::serialize::InputArchive& archive) override {
    read_tensor(archive, "diag_C", c_);
    read_tensor(archive, "diag_D", d_);
  }

 private:
  torch::Tensor c_;  // float64 [n]
};

void write_int(torch::serialize::OutputArchive& archive, const std::string& key, int64_t value) {
  archive.write(key, torch::tensor(value, torch::kInt64));
}

int64_t read_int(torch::serialize::InputArchive& archive, const std::string& key) {
  torch::Tensor t;
  read_tensor(archive, key, t);
  return t.item<int64_t>();
}

// Key of the start-point streams, apart from the sample streams keyed by the seed itself.
constexpr uint64_t kStartPointTag = 0x57A27;

class CMAES : public Strategy {
 public:
  CMAES(const CMAESOptions& o, const StrategyContext& c, bool separable, const std::string& what)
      : o_(o), separable_(separable), n_(c.layout.dim()), seed_(c.seed), x0_(c.x0.to(torch::kFloat64).clone()) {
    sense_ = c.sense;
    METAEVO_CHECK(x0_.dim() == 1 && x0_.size(0) == n_, "{}: start point has {} values but the problem has {}", what,
                  x0_.numel(), n_);
    const int64_t lambda = o.population > 0 ? o.population : 4 + int64_t(std::floor(3 * std::log(double(n_))));
    start_run(lambda);
    best_x_ = mean_;
  }

  std::string name() const override { return separable_ ? "sep_cmaes" : "cmaes"; }

  Population ask() override {
    // Row k is philox_normal({seed, g, k, run}, n).
    auto z = philox_normal_rows({seed_, uint32_t(generation_), 0, uint32_t(restarts_done_)}, k_.lambda, n_);
    Population pop;
    pop.generation = generation_;
    pop.size = k_.lambda;
    pop.center = mean_;
    pop.sigma = torch::tensor(sigma_, torch::kFloat64);
    pop.samples = mean_ + sigma_ * cov_->transform(z.to(torch::kFloat64));
    return pop;
  }

  void tell(const Population& pop, const torch::Tensor& fitness) override {
    METAEVO_CHECK(!pop.implicit() && pop.generation == generation_ && pop.size == k_.lambda,
                  "{}: tell() needs the population of generation {} from ask() ({} members)", name(), generation_,
                  k_.lambda);
    METAEVO_CHECK(fitness.numel() == pop.size, "{}: got {} fitness values for {} members", name(), fitness.numel(),
                  pop.size);
    auto u = utility(fitness.reshape({-1}));
    // Stable, so that tied members (all NaNs, say) keep their order and a resume sorts them alike.
    auto order = std::get<1>(torch::sort(u, /*stable=*/true, /*dim=*/0, /*descending=*/true));
    auto f = -u.index_select(0, order);  // ascending: minimised values
    const int64_t best = order[0].item<int64_t>();
    if (-f[0].item<double>() > best_utility_) {
      best_utility_ = -f[0].item<double>();
      best_x_ = pop.samples[best].to(torch::kFloat64).clone();
    }

    const auto& k = k_;
    auto y = (pop.samples.index_select(0, order.narrow(0, 0, k.mu)).to(torch::kFloat64) - mean_) / sigma_;
    auto yw = k.weights.matmul(y);
    mean_ = mean_ + sigma_ * yw;
    ps_ = (1 - k.cs) * ps_ + std::sqrt(k.cs * (2 - k.cs) * k.mueff) * cov_->whiten(yw);
    ++run_generation_;
    const double ps_norm = ps_.norm().item<double>();
    // h_s stalls p_c while |p_s| is large, e.g. just after a sigma increase, so that C does not
    // grow too fast along p_c; the (1 - h_s) term in the decay compensates the lost variance.
    const bool hs = ps_norm / std::sqrt(1 - std::pow(1 - k.cs, 2.0 * double(run_generation_))) <
                    (1.4 + 2 / (double(n_) + 1)) * k.chi_n;
    pc_ = (1 - k.cc) * pc_ + (hs ? std::sqrt(k.cc * (2 - k.cc) * k.mueff) : 0.0) * yw;
    const double decay = 1 - k.c1 - k.cmu + (hs ? 0.0 : k.c1 * k.cc * (2 - k.cc));
    cov_->update(decay, k.c1, pc_, k.cmu, k.weights, y);
    // Capped at a factor e per generation (as purecma does): one degenerate generation with a
    // huge |p_s| would otherwise throw sigma out of range.
    sigma_ *= std::exp(std::min(1.0, k.cs / k.damps * (ps_norm / k.chi_n - 1)));
    if (++eigen_age_ >= k.eigen_interval) {
      cov_->decompose();
      eigen_age_ = 0;
    }
    history_.push_back(f[0].item<double>());
    if (int64_t(history_.size()) > k.history) history_.pop_front();
    ++generation_;

    const auto reason = run_ended(f);
    if (reason.empty()) return;
    if (restarts_done_ < o_.restarts) {
      ++restarts_done_;
      start_run(int64_t(double(k_.lambda) * o_.pop_increase));
    } else {
      stop_reason_ = reason;
    }
  }

  torch::Tensor center() const override { return stop_reason_.empty() ? mean_ : best_x_; }
  std::string stop_reason() const override { return stop_reason_; }

  void save(torch::serialize::OutputArchive& archive) const override {
    archive.write("mean", mean_);
    write_scalar(archive, "sigma", sigma_);
    archive.write("pc", pc_);
    archive.write("ps", ps_);
    torch::serialize::OutputArchive cov;
    cov_->save(cov);
    archive.write("covariance", cov);
    write_int(archive, "lambda", k_.lambda);
    write_int(archive, "generation", generation_);
    write_int(archive, "run_generation", run_generation_);
    write_int(archive, "eigen_age", eigen_age_);
    write_int(archive, "restarts_done", restarts_done_);
    archive.write("history", torch::tensor(std::vector<double>(history_.begin(), history_.end()), torch::kFloat64));
    archive.write("best_x", best_x_);
    write_scalar(archive, "best_utility", best_utility_);
    write_string(archive, "stop_reason", stop_reason_);
  }

  void load(torch::serialize::InputArchive& archive) override {
    const int64_t lambda = read_int(archive, "lambda");
    METAEVO_CHECK(lambda >= 2, "checkpoint: {}: lambda must be >= 2, got {}", name(), lambda);
    start_run(lambda);
    read_tensor(archive, "mean", mean_);
    sigma_ = read_scalar(archive, "sigma");
    read_tensor(archive, "pc", pc_);
    read_tensor(archive, "ps", ps_);
    torch::serialize::InputArchive cov;
    if (!archive.try_read("covariance", cov)) fail("checkpoint: missing entry 'covariance'");
    cov_->load(cov);
    generation_ = read_int(archive, "generation");
    run_generation_ = read_int(archive, "run_generation");
    eigen_age_ = read_int(archive, "eigen_age");
    restarts_done_ = read_int(archive, "restarts_done");
    torch::Tensor history;
    read_tensor(archive, "history", history);
    history = history.contiguous();
    history_.assign(history.data_ptr<double>(), history.data_ptr<double>() + history.numel());
    read_tensor(archive, "best_x", best_x_);
    best_utility_ = read_scalar(archive, "best_utility");
    stop_reason_ = read_string(archive, "stop_reason");
  }

 private:
  /// Fresh distribution for run `restarts_done_` with population `lambda`.
  void start_run(int64_t lambda) {
    k_ = Constants(n_, lambda, separable_);
    mean_ = x0_.clone();
    if (o_.restart_box > 0) {
      auto u = philox_uniform({mix64(seed_, kStartPointTag), uint32_t(restarts_done_), 0, 0}, n_);
      mean_ = x0_ + o_.restart_box * (2 * u.to(torch::kFloat64) - 1);
    }
    sigma_ = o_.sigma;
    pc_ = torch::zeros({n_}, torch::kFloat64);
    ps_ = torch::zeros({n_}, torch::kFloat64);
    if (separable_)
      cov_ = std::make_unique<DiagonalCovariance>(n_);
    else
      cov_ = std::make_unique<FullCovariance>(n_);
    run_generation_ = 0;
    eigen_age_ = 0;
    history_.clear();
  }

  /// Why the current run should end ("" while it should go on); `f` is this generation's sorted values.
  std::string run_ended(const torch::Tensor& f) const {
    if (!std::isfinite(sigma_)) return fmt::format("sigma became {}", sigma_);
    if (int64_t(history_.size()) >= k_.history) {
      const auto [lo, hi] = std::minmax_element(history_.begin(), history_.end());
      const double range = std::max(*hi, f[-1].item<double>()) - std::min(*lo, f[0].item<double>());
      if (range < o_.tolfun)
        return fmt::format("tolfun: fitness range {} over the last {} generations is below {}", range, k_.history,
                           o_.tolfun);
    }
    auto sd = cov_->variances().sqrt();
    const double tolx = o_.tolx * o_.sigma;
    if ((sigma_ * sd).max().item<double>() < tolx && (sigma_ * pc_.abs()).max().item<double>() < tolx)
      return fmt::format("tolx: every step size is below {}", tolx);
    auto ev = cov_->eigenvalues();
    const double condition = (ev.max() / ev.min()).item<double>();
    if (!(condition <= o_.max_condition))
      return fmt::format("conditioncov: condition number of C is {:.3g} > {:.3g}", condition, o_.max_condition);
    if (torch::equal(mean_ + 0.1 * sigma_ * cov_->axis(run_generation_ % n_), mean_))
      return "noeffectaxis: a step of 0.1 sigma along a principal axis leaves the mean unchanged";
    if (torch::any(mean_ + 0.2 * sigma_ * sd == mean_).item<bool>())
      return "noeffectcoord: a step of 0.2 sigma in a coordinate leaves the mean unchanged";
    if (sigma_ / o_.sigma > 1e20 * ev.max().sqrt().item<double>())
      return fmt::format("tolupsigma: sigma grew to {:.3g} from {:.3g}", sigma_, o_.sigma);
    return "";
  }

  const CMAESOptions o_;
  const bool separable_;
  const int64_t n_;
  const uint64_t seed_;
  const torch::Tensor x0_;  // float64 [n]

  Constants k_;
  torch::Tensor mean_, pc_, ps_;  // float64 [n]
  double sigma_ = 0;
  std::unique_ptr<Covariance> cov_;
  int64_t run_generation_ = 0;  // generations of the current run
  int64_t eigen_age_ = 0;       // C updates since the last decomposition
  int64_t restarts_done_ = 0;
  std::deque<double> history_;  // best value of each of the current run's last k_.history generations
  torch::Tensor best_x_;        // best member ever evaluated, over all runs
  double best_utility_ = -std::numeric_limits<double>::infinity();
  std::string stop_reason_;
};

std::unique_ptr<Strategy> build(const Config& cfg, const StrategyContext& c, bool separable) {
  const auto o = read_options<CMAESOptions>(cfg);
  const double n = double(c.layout.dim());
  const double lambda = o.population > 0 ? double(o.population) : 4 + std::floor(3 * std::log(n));
  // Per generation: the float32 normal draws and three float64 [lambda, n] matrices (draws, steps,
  // samples); the full covariance adds C, B and the eigensolver's copy, [n, n] float64 each.
  const double bytes = lambda * n * (4 + 3 * 8) + (separable ? 4 * n * 8 : 3 * n * n * 8);
  check_fits_in_memory(bytes, cfg.origin() + ": " + cfg.path("population"),
                       fmt::format("{:.0f} members x {:.0f} parameters{}", lambda, n,
                                   separable ? "" : fmt::format(", and a {:.0f} x {:.0f} covariance", n, n)));
  return std::make_unique<CMAES>(o, c, separable, cfg.origin() + ": " + cfg.path("name"));
}

Registrar<StrategyRegistry> cmaes_registration(
    "cmaes", [](const Config& cfg, const StrategyContext& c) { return build(cfg, c, false); },
    variant_doc<CMAESOptions>("CMA-ES (Hansen's 2016 tutorial): full covariance, IPOP restarts"));
Registrar<StrategyRegistry> sep_cmaes_registration(
    "sep_cmaes", [](const Config& cfg, const StrategyContext& c) { return build(cfg, c, true); },
    variant_doc<CMAESOptions>("separable CMA-ES (Ros & Hansen 2008): diagonal covariance, O(d) memory"));

}  // namespace
}  // namespace metaevo::es
