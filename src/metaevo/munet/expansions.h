#pragma once
// Gesmundo & Maile's six function-preserving expansions of a transformer ("Composable
// Function-preserving Expansions for Transformer Architectures"): each makes one size larger while
// the model computes exactly the same function, so a trained model gains capacity and keeps
// training. An expansion is planned on a model (what every tensor becomes, and which new entries
// must be zero or which old entries rescaled for the function to stay the same) and then applied to
// the model, whose other new entries are free, and to its optimizer's moments, which start at zero.
// The plan's constraints are listed so that tests can break each one and see the function change.
#include <torch/torch.h>

#include <functional>
#include <string>
#include <vector>

#include "metaevo/models/transformer.h"

namespace metaevo::munet {

/// Values for the free entries of a grown tensor: given the tensor's name (as
/// TransformerTensors::named spells it) and its new shape, a tensor of that shape, of which the
/// expansion keeps the entries outside the old block.
using FreeInit = std::function<torch::Tensor(const std::string& name, const std::vector<int64_t>& shape)>;

/// Free entries as a fresh model would start them: gains one, biases zero, matrices normal with
/// std 1/sqrt(fan_in), from Philox streams keyed by (seed, name).
FreeInit fresh_init(uint64_t seed);
/// Free entries normal(0, std) from Philox streams keyed by (seed, name) (tests: large values show
/// that the free entries do not matter).
FreeInit normal_init(uint64_t seed, double std);

/// How one tensor grows: its old block (`old_shape`, at the origin of every axis; empty for a
/// tensor of a new layer) is multiplied by `scale`, and its new entries are zero when `zero_new` or
/// free otherwise. `zero_new` and a scale other than one are what keep the expansion exact.
struct TensorGrowth {
  std::string name;
  std::vector<int64_t> old_shape, shape;
  double scale = 1;
  bool zero_new = false;
  bool constrained() const { return zero_new || scale != 1; }
};

/// One planned expansion.
struct Expansion {
  std::string what;                  // e.g. "mlp_dim 128 -> 256"
  models::TransformerOptions after;  // the sizes after it
  std::vector<TensorGrowth> tensors;
  int64_t insert_layer = -1;  // layer addition: the depth of the new layer
  double eps_scale = 1;       // the RMSNorm epsilon's factor (h/h' for the hidden expansion)
};

/// Each planner refuses, as an Error naming the size, a size that is not larger than the current
/// one (or a depth outside 0..layers).
/// 1. MLP expansion p -> p': the new rows of W2 are zero.
Expansion mlp_expansion(const models::Transformer& model, int64_t mlp_dim);
/// 2. Head addition E -> E': the new heads' W_O are zero.
Expansion head_addition(const models::Transformer& model, int64_t heads);
/// 3. Heads expansion v -> v': the new rows of every W_O,e are zero.
Expansion heads_expansion(const models::Transformer& model, int64_t value_dim);
/// 4. Attention expansion k -> k': the new columns of W_K are zero and the old ones are multiplied
/// by sqrt(k'/k), which cancels the change of the 1/sqrt(k) scale.
Expansion attention_expansion(const models::Transformer& model, int64_t key_dim);
/// 5. Hidden-dimension expansion h -> h': the new columns of the input embedding, class token,
/// position embedding, every W_O,e, W2 and b2 are zero; norm gains are multiplied by sqrt(h/h') and
/// the norm epsilon by h/h'. Exact with RMSNorm only: with LayerNorm the zero-padded features
/// change the mean and variance it normalises by, and the plan is refused.
Expansion hidden_expansion(const models::Transformer& model, int64_t hidden);
/// 6. Layer addition: a new layer at depth `at` (0..layers) whose W_O,e, W2 and b2 are zero, so
/// the residual stream passes through it unchanged.
Expansion layer_addition(const models::Transformer& model, int64_t at);

/// The expansion named by a size key (mlp_dim | heads | value_dim | key_dim | hidden | layers) to
/// `value`; for layers, `value` - layers new layers are added on top. An Error names an unknown key.
std::vector<Expansion> plan_expansion(const models::Transformer& model, const std::string& size, int64_t value);

/// Applies `e` to the model: old blocks rescaled, constrained new entries zero, free ones from
/// `init`, options and epsilon updated. New tensors take the device, dtype and requires_grad of the
/// model's embedding.
void apply(const Expansion& e, models::Transformer& model, const FreeInit& init);

/// An optimizer's state shaped like the model. A tensor rescaled by s has gradients scaled by
/// 1/s, so its first moments (or momentum) are rescaled by 1/s and its second moments by 1/s^2.
enum class Moment { first, second };
/// Applies `e` to moments of the model's tensors: every new entry zero, old blocks rescaled as
/// `kind` says.
void apply(const Expansion& e, models::TransformerTensors& moments, Moment kind);

}  // namespace metaevo::munet
