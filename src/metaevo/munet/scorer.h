#pragma once
// The score that decides which paths survive: quality x s^(accounted_params / P_root)
// [x s_flops^(flops / F_root)]. A component's size is divided among the tasks that hold it (its
// locks plus the path's own task, the root's pseudo-task not counted), so reusing frozen blocks
// of other tasks makes a path cheaper; s = 1 turns the size penalty off.
#include "metaevo/core/options.h"
#include "metaevo/munet/path.h"

namespace metaevo::munet {

struct ScoreOptions {
  double scale = 1.0;           // s: 1 = no size penalty; the reference's "size scale" 0.98 ... 0.02
  double reference_params = 0;  // P_root; 0 = the root model's parameter count
  double flops_scale = 1.0;     // second factor on FLOPs (mu2Net+); 1 = off
  double reference_flops = 0;   // F_root; 0 = the root model's FLOPs per image
  template <class V>
  void visit(V& v) {
    v("scale", scale, "size penalty base s in (0, 1]; 1 = no penalty");
    v("reference_params", reference_params, "parameters that cost one factor of s (0 = the root's)");
    v("flops_scale", flops_scale, "FLOPs penalty base in (0, 1]; 1 = no penalty");
    v("reference_flops", reference_flops, "FLOPs per image that cost one factor (0 = the root's)");
  }
  void validate() const;
};

/// Parameters charged to `path`: each component's size over the number of tasks sharing it.
double accounted_params(const Path& path);
/// Multiply-adds x 2 of one image through the path.
double path_flops(const Path& path, const VitOptions& o);
/// Parameters of every component of the path, counted whole.
int64_t total_params(const Path& path);

class Scorer {
 public:
  /// The root fixes the references that are left at 0.
  Scorer(ScoreOptions o, const Path& root, const VitOptions& vit);
  double operator()(const Path& path) const;
  const ScoreOptions& options() const { return o_; }

 private:
  ScoreOptions o_;
  VitOptions vit_;
};

}  // namespace metaevo::munet
