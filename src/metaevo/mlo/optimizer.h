#pragma once
// A problem steps with the engine's functional optimizer (models/optimizer.h), which muNet's
// growth training shares.
#include "metaevo/models/optimizer.h"

namespace metaevo::mlo {

using models::AdamOptions;
using models::clone_params;
using models::detach_params;
using models::Optimizer;
using models::OptimizerState;
using models::Params;
using models::SgdOptions;

}  // namespace metaevo::mlo
