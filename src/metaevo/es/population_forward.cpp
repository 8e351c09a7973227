#include "metaevo/es/population_forward.h"

#include "metaevo/core/error.h"
#include "metaevo/models/functional.h"
#include "metaevo/models/parameters.h"

namespace metaevo::es {
namespace {

std::vector<int64_t> concat(std::vector<int64_t> head, c10::IntArrayRef tail) {
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

// Activations are either shared by all members ([B, ...], before the first parameterised layer)
// or per member ([n, B, ...]).
struct Activation {
  torch::Tensor value;
  bool shared;
};

// How member i's copy of one parameter tensor differs from the base.
struct Perturbation {
  torch::Tensor base;   // [shape]
  torch::Tensor full;   // [K, shape], scaled by sigma (unsigned); or undefined when low-rank
  torch::Tensor a, b;   // low-rank: A [K, rows, r] (scaled by sigma), B [K, cols, r]
  torch::Tensor index;  // int64 [n]: k(i) - k0
  torch::Tensor sign;   // float [n]: s_i
  bool low_rank() const { return a.defined(); }
};

class Members {
 public:
  // `center` is the population's center as float32 on the evaluation device.
  Members(const Population& pop, int64_t begin, int64_t end, const Layout& layout, torch::Tensor center)
      : pop_(pop), layout_(layout), begin_(begin), end_(end), center_(std::move(center)) {
    std::vector<int64_t> idx;
    std::vector<float> sign;
    if (pop.implicit()) {
      k0_ = pop.noise_index(begin);
      k1_ = pop.noise_index(end - 1) + 1;
      for (int64_t i = begin; i < end; ++i) {
        idx.push_back(pop.noise_index(i) - k0_);
        sign.push_back(pop.sign(i));
      }
    } else {
      for (int64_t i = begin; i < end; ++i) {
        idx.push_back(i - begin);
        sign.push_back(1.0f);
      }
    }
    index_ = torch::tensor(idx).to(device());
    sign_ = torch::tensor(sign).to(device());
    if (!pop.implicit())
      deltas_ = (pop.samples.narrow(0, begin, end - begin) - pop.center).to(device(), torch::kFloat32);
  }

  /// Distinct perturbations in the slice: K <= n (K = n/2 for mirrored pairs).
  int64_t distinct() const { return pop_.implicit() ? k1_ - k0_ : end_ - begin_; }

  Perturbation get(int64_t seg) const {
    const auto& s = layout_.segments().at(seg);
    Perturbation p;
    p.index = index_;
    p.sign = sign_;
    p.base = center_.narrow(0, s.offset, s.numel).view(s.shape);
    std::vector<int64_t> shape{distinct()};
    shape.insert(shape.end(), s.shape.begin(), s.shape.end());
    if (!pop_.implicit()) {
      p.full = deltas_.narrow(1, s.offset, s.numel).reshape(shape);
      return p;
    }
    const bool scalar_sigma = pop_.sigma.numel() == 1;
    if (pop_.noise->is_low_rank(s) && scalar_sigma) {
      auto f = pop_.noise->factors(pop_.generation, seg, k0_, k1_);
      p.a = (f.a * pop_.sigma.item<float>()).to(device());
      p.b = f.b.to(device());
      return p;
    }
    auto z = pop_.noise->segment(pop_.generation, seg, k0_, k1_);
    auto sigma = scalar_sigma ? pop_.sigma.to(torch::kFloat32)
                              : pop_.sigma.narrow(0, s.offset, s.numel).to(torch::kFloat32).view(s.shape);
    p.full = z.mul_(sigma).to(device());
    return p;
  }

 private:
  torch::Device device() const { return center_.device(); }

  const Population& pop_;
  const Layout& layout_;
  int64_t begin_, end_, k0_ = 0, k1_ = 0;
  torch::Tensor center_;
  torch::Tensor index_, sign_, deltas_;
};

// Per-member view [n, B, ...] of a per-noise-index tensor [K, B, ...], signed.
torch::Tensor expand_signed(const torch::Tensor& per_k, const Perturbation& p) {
  auto picked = per_k.index_select(0, p.index);
  std::vector<int64_t> shape(per_k.dim(), 1);
  shape[0] = -1;
  return picked * p.sign.view(shape);
}

// A per-channel vector (bias, batch-norm scale or shift) of every member, [n, C], reshaped to
// broadcast against [n, B, C, (H, W)].
torch::Tensor channel_term(const Perturbation& p, int64_t spatial_dims) {
  auto v = (p.base.unsqueeze(0) + expand_signed(p.full, p)).unsqueeze(1);
  for (int64_t d = 0; d < spatial_dims; ++d) v = v.unsqueeze(-1);
  return v;
}

// Per-member activations [n, B, C, H, W] as one [B, n * C, H, W] stack, each member's channels
// its own, which convolutions (grouped), batch-norm and pooling treat per channel; a view of
// activations that came from such a stack, in either memory format.
torch::Tensor stack_channels(const torch::Tensor& x) {
  return x.transpose(0, 1).reshape({x.size(1), x.size(0) * x.size(2), x.size(3), x.size(4)});
}

torch::Tensor unstack_channels(const torch::Tensor& y, int64_t n) {
  return y.view({y.size(0), n, y.size(1) / n, y.size(2), y.size(3)}).transpose(0, 1);
}

torch::Tensor linear_base(const torch::Tensor& x, const torch::Tensor& weight) { return torch::matmul(x, weight.t()); }

// `shared_base`: x W^T when x is shared and it was computed beforehand (else undefined).
// y_i = (x_i W^T + b_i) + s_i x_i (sigma Z_k)^T. The base and bias terms are written first and the
// perturbation product is accumulated into them in place (beta = 1 GEMMs), with the sign folded
// into the small factor A: the [n, B, out] activations are written twice instead of five times,
// which made a CPU generation of the MNIST MLPs 1.3x faster (bench/RESULTS.md).
Activation linear(const Activation& h, const Perturbation& w, const Perturbation* bias,
                  const torch::Tensor& shared_base) {
  const auto& x = h.value;
  const int64_t n = w.index.size(0), in = w.base.size(1);
  torch::Tensor y;  // [n, B, out]
  if (h.shared) {
    auto base = (shared_base.defined() ? shared_base : linear_base(x, w.base)).unsqueeze(0);  // [1, B, out]
    y = bias ? base + channel_term(*bias, 0) : base.expand({n, -1, -1}).contiguous();
  } else {
    y = torch::matmul(x.reshape({-1, in}), w.base.t()).view({n, x.size(1), -1});
    if (bias) y.add_(channel_term(*bias, 0));
  }
  if (w.low_rank()) {
    const int64_t k = w.a.size(0), r = w.a.size(2);
    torch::Tensor xb;  // [n, B, r]
    if (h.shared)      // one GEMM against all K factors stacked, rather than K copies of the input
      xb = torch::mm(x, w.b.permute({1, 0, 2}).reshape({in, k * r}))
               .view({x.size(0), k, r})
               .transpose(0, 1)
               .index_select(0, w.index);
    else
      xb = torch::bmm(x, w.b.index_select(0, w.index));
    y.baddbmm_(xb, expand_signed(w.a, w).transpose(1, 2));
  } else if (h.shared) {
    const int64_t k = w.full.size(0), out = w.base.size(0);
    auto delta = torch::mm(x, w.full.view({k * out, in}).t()).view({x.size(0), k, out}).transpose(0, 1);
    y.addcmul_(delta.index_select(0, w.index), w.sign.view({-1, 1, 1}));
  } else {
    y.baddbmm_(x, expand_signed(w.full, w).transpose(1, 2));
  }
  return {y, false};
}

// oneDNN's CPU convolutions run in channels-last natively: given NCHW tensors, LibTorch reorders
// every input, kernel and output to a blocked layout and back, which took as long as the
// convolutions themselves. A channels-last kernel makes LibTorch convolve in channels-last (the
// input cannot decide when it has one channel: both formats then have the same strides), and the
// format carries through batch-norm, ReLU and pooling to the next convolution.
torch::Tensor channels_last_kernel(const torch::Tensor& kernel) {
  if (!kernel.is_cpu()) return kernel;
  return torch::empty(kernel.sizes(), kernel.options().memory_format(torch::MemoryFormat::ChannelsLast)).copy_(kernel);
}

// The layer's convolution (stride, padding, dilation) with another kernel and group count.
template <typename ConvOptions>
torch::Tensor apply_conv(const torch::Tensor& x, const torch::Tensor& kernel, int64_t groups, const ConvOptions& o) {
  return torch::conv2d(x, channels_last_kernel(kernel), {}, o.stride(), models::conv_padding(o), o.dilation(), groups);
}

template <typename ConvOptions>
Activation conv2d(const Activation& h, const Perturbation& w, const Perturbation* bias, const ConvOptions& o,
                  const torch::Tensor& shared_base) {
  auto conv = [&](const torch::Tensor& x, const torch::Tensor& kernel, int64_t groups) {
    return apply_conv(x, kernel, groups, o);
  };
  const int64_t out = w.base.size(0);
  // A lone member gains nothing from the shared base product (that pays off only when mirrored
  // members share the perturbation's conv): one conv with its own kernel instead of two plus three
  // passes over the output, which is 20 MB for the ProtoNet's first block.
  if (h.shared && w.index.size(0) == 1) return conv2d(Activation{h.value.unsqueeze(0), false}, w, bias, o, {});
  torch::Tensor y;  // [n, B, out, H', W']
  if (h.shared) {
    auto x = h.value;
    auto base = shared_base.defined() ? shared_base : conv(x, w.base, 1);  // [B, out, H', W']
    torch::Tensor delta;                                                   // [B, K*out, H', W']
    const int64_t k = w.low_rank() ? w.a.size(0) : w.full.size(0);
    if (w.low_rank()) {
      const int64_t r = w.b.size(2);
      auto b_kernel = w.b.transpose(1, 2).reshape({k * r, w.base.size(1), w.base.size(2), w.base.size(3)});
      auto a_kernel = w.a.reshape({k * out, r, 1, 1});
      // The 1x1 mixing conv has no padding or stride of its own.
      const std::vector<int64_t> unit{1, 1}, none{0, 0};
      delta = torch::conv2d(conv(x, b_kernel, 1), a_kernel, torch::Tensor(), unit, none, unit, k);
    } else {
      delta = conv(x, w.full.reshape({k * out, w.base.size(1), w.base.size(2), w.base.size(3)}), 1);
    }
    auto per_k = delta.view({x.size(0), k, out, delta.size(2), delta.size(3)}).transpose(0, 1);
    y = base.unsqueeze(0) + expand_signed(per_k, w);
  } else {
    // Per-member inputs: stack members along channels and use one grouped convolution.
    const auto& x = h.value;  // [n, B, C, H, W]
    const int64_t n = x.size(0);
    torch::Tensor weights;  // [n, out, C, kh, kw]
    if (w.low_rank()) {
      auto a = w.a.index_select(0, w.index), b = w.b.index_select(0, w.index);
      weights = torch::bmm(a, b.transpose(1, 2)).view({n, out, -1});
    } else {
      weights = w.full.index_select(0, w.index).view({n, out, -1});
    }
    weights = (w.base.view({1, out, -1}) + weights * w.sign.view({-1, 1, 1}))
                  .view({n * out, w.base.size(1), w.base.size(2), w.base.size(3)});
    y = unstack_channels(conv(stack_channels(x), weights, n), n);
  }
  if (bias) y = y + channel_term(*bias, 2);
  return {y, false};
}

// Batch-norm with each member's own batch statistics (over batch and space, biased variance, as
// PyTorch's training mode normalises) and its own scale and shift. Running statistics are not
// used: under ES every evaluation normalises with the statistics of the batch it sees.
Activation batch_norm2d(const Activation& h, const Perturbation* weight, const Perturbation* bias, double eps) {
  METAEVO_CHECK(!h.shared, "population forward: BatchNorm2d before the first parameterised layer is not supported");
  // One fused batch-norm over the members' stacked channels instead of mean and variance
  // reductions over non-adjacent dimensions, which are slow.
  auto y = unstack_channels(torch::batch_norm(stack_channels(h.value), {}, {}, {}, {}, /*training=*/true,
                                              /*momentum=*/0.0, eps, /*cudnn_enabled=*/true),
                            h.value.size(0));
  if (weight) y = y * channel_term(*weight, 2);
  if (bias) y = y + channel_term(*bias, 2);
  return {y, false};
}

// A 2x2 max-pool with stride 2 and no padding (the conv blocks' pool) as two elementwise maxima
// of strided views: 2.8x faster than LibTorch's channels-last max_pool2d on the ProtoNet's first
// block, and exact.
bool is_pool_2x2(const torch::nn::MaxPool2dImpl& pool) {
  const auto& o = pool.options;
  auto all_equal = [](const auto& v, int64_t x) { return (*v)[0] == x && (*v)[1] == x; };
  return all_equal(o.kernel_size(), 2) && all_equal(o.stride(), 2) && all_equal(o.padding(), 0) &&
         all_equal(o.dilation(), 1) && !o.ceil_mode();
}

torch::Tensor max_pool_2x2(const torch::Tensor& x) {  // [B, C, H, W]
  const auto even = x.narrow(2, 0, x.size(2) / 2 * 2).narrow(3, 0, x.size(3) / 2 * 2);
  const auto rows = torch::maximum(even.slice(2, 0, c10::nullopt, 2), even.slice(2, 1, c10::nullopt, 2));
  return torch::maximum(rows.slice(3, 0, c10::nullopt, 2), rows.slice(3, 1, c10::nullopt, 2));
}

// BatchNorm2d -> ReLU -> 2x2 MaxPool2d in one step, equal to the three layers: with each
// member's channel c normalised as y = a_c x + t_c, relu(a_c x + t_c) is monotone in x, so the
// pool's maximum can be taken before normalising (of x itself where a_c >= 0, of -x where
// a_c < 0) and the affine map and ReLU applied to the pooled quarter. Of the full-size
// activations (20 MB a member in the ProtoNet's first block) only the statistics and the pool
// read them, and nothing writes them again.
Activation batch_norm_relu_pool(const Activation& h, const Perturbation* weight, const Perturbation* bias, double eps) {
  METAEVO_CHECK(!h.shared, "population forward: BatchNorm2d before the first parameterised layer is not supported");
  const int64_t n = h.value.size(0), c = h.value.size(2);
  const auto flat = stack_channels(h.value);
  const auto [mean, var] = torch::batch_norm_update_stats(flat, {}, {}, 0.0);  // biased variance, as training mode
  auto scale = torch::rsqrt(var + eps);
  if (weight) scale = scale * channel_term(*weight, 0).reshape({n * c});
  auto shift = -mean * scale;
  if (bias) shift = shift + channel_term(*bias, 0).reshape({n * c});
  auto pooled = max_pool_2x2(flat);
  const auto negative = scale < 0;
  if (negative.any().item<bool>()) pooled = torch::where(negative.view({1, -1, 1, 1}), -max_pool_2x2(-flat), pooled);
  auto y = torch::addcmul(shift.view({1, -1, 1, 1}), pooled, scale.view({1, -1, 1, 1})).relu_();
  return {unstack_channels(y, n), false};
}

// Applies a parameter-free layer to shared [B, ...] or per-member [n, B, ...] activations.
Activation stateless(const std::shared_ptr<torch::nn::Module>& layer, const Activation& h) {
  auto apply_flat = [&](auto fn) {
    if (h.shared) return Activation{fn(h.value), true};
    auto x = h.value;
    auto y = fn(x.reshape(concat({x.size(0) * x.size(1)}, x.sizes().slice(2))));
    return Activation{y.reshape(concat({x.size(0), x.size(1)}, y.sizes().slice(1))), false};
  };
  // Per-member activations are this forward's own temporaries, so they are rectified in place.
  if (std::dynamic_pointer_cast<torch::nn::ReLUImpl>(layer))
    return {h.shared ? torch::relu(h.value) : h.value.relu_(), h.shared};
  if (std::dynamic_pointer_cast<torch::nn::TanhImpl>(layer)) return {torch::tanh(h.value), h.shared};
  if (std::dynamic_pointer_cast<torch::nn::GELUImpl>(layer)) return {torch::gelu(h.value), h.shared};
  // Pooling is per channel, so members' activations are pooled stacked (a view), where folding
  // members into the batch would copy them.
  auto apply_channels = [&](auto fn) {
    if (h.shared) return Activation{fn(h.value), true};
    return Activation{unstack_channels(fn(stack_channels(h.value)), h.value.size(0)), false};
  };
  if (auto pool = std::dynamic_pointer_cast<torch::nn::MaxPool2dImpl>(layer))
    return apply_channels(
        [&](const torch::Tensor& x) { return is_pool_2x2(*pool) ? max_pool_2x2(x) : pool->forward(x); });
  if (auto pool = std::dynamic_pointer_cast<torch::nn::AvgPool2dImpl>(layer))
    return apply_channels([&](const torch::Tensor& x) { return pool->forward(x); });
  if (std::dynamic_pointer_cast<torch::nn::FlattenImpl>(layer))
    return apply_flat([](const torch::Tensor& x) { return x.flatten(1); });
  fail("population forward: unsupported layer '{}'", layer->name());
}

}  // namespace

PopulationForward::PopulationForward(const torch::nn::Sequential& model, const Population& pop, const torch::Tensor& x)
    : model_(model), pop_(pop), layout_(models::parameter_layout(*model)) {
  torch::NoGradGuard no_grad;
  METAEVO_CHECK(layout_.dim() == pop.center.numel(),
                "population forward: the model has {} parameters, the population {}", layout_.dim(),
                pop.center.numel());
  center_ = pop.center.to(x.device(), torch::kFloat32);
  const auto layers = model->children();
  Activation h{x, true};
  for (; first_ < layers.size(); ++first_) {
    const auto& layer = layers[first_];
    if (!layer->parameters().empty()) break;
    h = stateless(layer, h);
  }
  METAEVO_CHECK(first_ < layers.size(), "population forward: the model has no parameterised layer");
  // Converted once here rather than by every member's convolution (see channels_last_kernel).
  const bool conv_first = std::dynamic_pointer_cast<torch::nn::Conv2dImpl>(layers[first_]) != nullptr;
  input_ = conv_first && h.value.is_cpu() && h.value.dim() == 4 ? h.value.contiguous(torch::MemoryFormat::ChannelsLast)
                                                                : h.value;
  const auto& s = layout_.segments().front();
  const auto weight = center_.narrow(0, s.offset, s.numel).view(s.shape);
  if (auto lin = std::dynamic_pointer_cast<torch::nn::LinearImpl>(layers[first_]))
    shared_base_ = linear_base(input_, weight);
  else if (auto conv = std::dynamic_pointer_cast<torch::nn::Conv2dImpl>(layers[first_]))
    shared_base_ = apply_conv(input_, weight, 1, conv->options);
  else
    fail("population forward: unsupported layer '{}'", layers[first_]->name());
}

torch::Tensor PopulationForward::operator()(int64_t begin, int64_t end) const {
  torch::NoGradGuard no_grad;
  Members members(pop_, begin, end, layout_, center_);
  Activation h{input_, true};
  int64_t seg = 0;
  const auto layers = model_->children();
  for (size_t l = first_; l < layers.size(); ++l) {
    const auto& layer = layers[l];
    const torch::Tensor base = l == first_ ? shared_base_ : torch::Tensor();
    if (auto lin = std::dynamic_pointer_cast<torch::nn::LinearImpl>(layer)) {
      auto w = members.get(seg++);
      const bool has_bias = lin->options.bias();
      auto b = has_bias ? members.get(seg++) : Perturbation{};
      h = linear(h, w, has_bias ? &b : nullptr, base);
    } else if (auto conv = std::dynamic_pointer_cast<torch::nn::Conv2dImpl>(layer)) {
      auto w = members.get(seg++);
      const bool has_bias = conv->options.bias();
      auto b = has_bias ? members.get(seg++) : Perturbation{};
      h = conv2d(h, w, has_bias ? &b : nullptr, conv->options, base);
    } else if (auto bn = std::dynamic_pointer_cast<torch::nn::BatchNorm2dImpl>(layer)) {
      const bool affine = bn->options.affine();
      auto w = affine ? members.get(seg++) : Perturbation{};
      auto b = affine ? members.get(seg++) : Perturbation{};
      const auto pool =
          l + 2 < layers.size() ? std::dynamic_pointer_cast<torch::nn::MaxPool2dImpl>(layers[l + 2]) : nullptr;
      if (pool && is_pool_2x2(*pool) && std::dynamic_pointer_cast<torch::nn::ReLUImpl>(layers[l + 1])) {
        h = batch_norm_relu_pool(h, affine ? &w : nullptr, affine ? &b : nullptr, bn->options.eps());
        l += 2;
      } else {
        h = batch_norm2d(h, affine ? &w : nullptr, affine ? &b : nullptr, bn->options.eps());
      }
    } else {
      h = stateless(layer, h);
    }
  }
  return h.value;
}

torch::Tensor population_forward(const torch::nn::Sequential& model, const Population& pop, int64_t begin, int64_t end,
                                 const torch::Tensor& x) {
  return PopulationForward(model, pop, x)(begin, end);
}

double forward_macs(const torch::nn::Sequential& model, const std::vector<int64_t>& input_shape) {
  torch::NoGradGuard no_grad;
  std::vector<int64_t> shape{1};
  shape.insert(shape.end(), input_shape.begin(), input_shape.end());
  auto h = torch::zeros(shape);
  double macs = 0;
  for (const auto& layer : model->children()) {
    if (auto lin = std::dynamic_pointer_cast<torch::nn::LinearImpl>(layer)) {
      macs += double(lin->weight.numel());
      h = lin->forward(h);
    } else if (auto conv = std::dynamic_pointer_cast<torch::nn::Conv2dImpl>(layer)) {
      h = conv->forward(h);
      macs += double(conv->weight.numel()) * double(h.size(2) * h.size(3));
    } else if (std::dynamic_pointer_cast<torch::nn::BatchNorm2dImpl>(layer)) {
      continue;  // shape-preserving; its elementwise work is not counted
    } else {
      h = stateless(layer, {h, true}).value;
    }
  }
  return macs;
}

}  // namespace metaevo::es
