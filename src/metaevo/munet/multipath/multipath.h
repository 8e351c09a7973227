#pragma once
// A multipath model (Gesmundo's mu4Net, reference/munet.md section 4): several already-trained
// paths of the system run side by side, all frozen, and only small modules that join them train.
// path_0 is a path of the model's own task and gives its logits; every other path runs headless
// (its pre-logits features) into a connector, a Dense to the task's classes that starts at zero. A
// router reads path_0's logits and weighs the paths per sample. At initialisation the output is
// w0 x path_0's logits, so the model starts exactly as accurate as its main path.
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "metaevo/core/options.h"
#include "metaevo/munet/path.h"
#include "metaevo/munet/trainer.h"

namespace metaevo::munet {

struct MultipathOptions {
  int64_t num_paths = 2;
  double router_init_main_path_weight = 0.8;
  double router_lr_mult = 0.05;
  template <class V>
  void visit(V& v) {
    v("num_paths", num_paths, "paths run side by side, the main one included (>= 2)");
    v("router_init_main_path_weight", router_init_main_path_weight, "the main path's router weight at first");
    v("router_lr_mult", router_lr_mult, "scale of the router's gradient, in (0, 1]");
  }
  void validate() const;
};

class MultipathModel {
 public:
  /// Joins `paths` (paths[0] of the task, with its head; the others of other tasks, headless) with a
  /// fresh router and zero connectors, on path_0's device. An Error when their number is not
  /// o.num_paths, when one is missing or repeated, or when path_0 is not a path of `task`.
  MultipathModel(const std::string& task, std::vector<PathPtr> paths, const MultipathOptions& o, const VitOptions& vit);
  /// The same joined by saved router and connector tensors (trainable() order); an Error names a
  /// tensor of the wrong shape.
  MultipathModel(const std::string& task, std::vector<PathPtr> paths, const MultipathOptions& o, const VitOptions& vit,
                 const Params& tensors);

  const std::string& task() const { return task_; }
  const std::vector<PathPtr>& paths() const { return paths_; }
  const MultipathOptions& options() const { return options_; }
  const VitOptions& vit() const { return vit_; }

  /// Logits [B, classes]. The forward pass gives the per-sample mixture sum_p w_p logits_p; the
  /// backward pass is the reference's straight-through one: each path's logits get the gradient
  /// unweighted, and the router gets its gradient only through w, scaled by router_lr_mult.
  torch::Tensor forward(const torch::Tensor& images) const;
  /// The router's weights [B, P] for `images`.
  torch::Tensor router_weights(const torch::Tensor& images) const;
  /// The trained tensors: the router's LayerNorm scale and bias and Dense kernel and bias, then
  /// each connector's kernel and bias. Every path stays frozen.
  Params trainable() const;
  /// Parameters run per sample (every distinct component of every path, router and connectors).
  int64_t activated_params() const;
  int64_t trained_params() const;

  int64_t id = 0;
  /// The optimizer, schedule and augmentation keys training reads: path_0's at first.
  Hparams hparams;
  int64_t offsprings = 0;    // children made from this model
  double quality = 0;        // best validation accuracy
  double test_quality = -1;  // -1 = not measured

 private:
  /// path_0's logits and the other paths' features, with no graph: the paths never train.
  std::pair<torch::Tensor, std::vector<torch::Tensor>> frozen(const torch::Tensor& images) const;
  torch::Tensor route(const torch::Tensor& logits0) const;

  std::string task_;
  std::vector<PathPtr> paths_;
  MultipathOptions options_;
  VitOptions vit_;
  Params router_;                   // LayerNorm scale, bias; Dense kernel [P, classes], bias [P]
  std::vector<Params> connectors_;  // per path k >= 1: kernel [classes, width], bias [classes]
};

using MultipathPtr = std::shared_ptr<MultipathModel>;

/// The model as a stored record: id, task, options, hparams, qualities, offsprings, the ViT's
/// options, and every attached path's own record (path_record.h), so that the model can be rebuilt
/// when its paths' owners have since published others. Its tensors are stored apart.
nlohmann::json multipath_record(const MultipathModel& model);
/// The model a record describes, its paths' components taken from `components` and its own
/// tensors from `tensors`; an Error names `where` when something is missing or misshapen.
MultipathPtr multipath_from_record(const nlohmann::json& record, const std::map<int64_t, ComponentPtr>& components,
                                   const Params& tensors, const std::string& where);

/// Trains the router and connectors on `task` (score = validation accuracy, as in the reference:
/// no size penalty); the model ends at its best validation and improved says whether it beat `bar`.
TrainResult train_multipath(MultipathModel& model, const data::Splits& task, const TrainOptions& o, double bar,
                            uint64_t seed);

/// The router's weights [N, P] for every sample of `split`, in batches of `batch_size`.
torch::Tensor router_weights(const MultipathModel& model, const data::Split& split, int64_t batch_size);

/// Accuracy on a split, in batches of `batch_size` (at most `max_batches`, 0 = all).
double evaluate(const MultipathModel& model, const data::Split& split, int64_t batch_size, int64_t max_batches = 0);

}  // namespace metaevo::munet
