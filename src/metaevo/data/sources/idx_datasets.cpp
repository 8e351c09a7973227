// The IDX releases: "mnist", "fashion-mnist", and MNIST rotated ("mnist-rot:<degrees>") or with
// its pixels permuted ("mnist-perm:<seed>"), the task families of the muNet papers. By default the
// last 5,000 images of the training file validate.
#include <cmath>
#include <functional>

#include "metaevo/core/random_stream.h"
#include "metaevo/data/dataset.h"
#include "metaevo/data/datasets.h"

namespace metaevo::data {
namespace {

using Transform = std::function<torch::Tensor(const torch::Tensor&, const std::string&)>;

class Idx : public DatasetSource {
 public:
  explicit Idx(std::string folder, Transform transform = {})
      : folder_(std::move(folder)), transform_(std::move(transform)) {}
  std::string folder() const override { return folder_; }
  void check(const std::string& argument) const override {
    if (!transform_) return DatasetSource::check(argument);
    // The transform refuses a bad argument; on one blank image that costs nothing.
    transform_(torch::zeros({1, 1, 28, 28}), argument);
  }
  Examples read(const std::string& argument, const std::string& dir) const override {
    auto e = load_mnist_like(dir);
    e.default_valid = 5000;
    if (transform_) {
      e.pool.x = transform_(e.pool.x, argument);
      e.test.x = transform_(e.test.x, argument);
    }
    return e;
  }

 private:
  std::string folder_;
  Transform transform_;
};

int64_t parse_int(const std::string& text) {
  try {
    size_t used = 0;
    const auto v = std::stoll(text, &used);
    if (used == text.size()) return v;
  } catch (const std::exception&) {
  }
  fail("'{}' is not an integer", text);
}

/// Multiples of 90 degrees exactly; other angles (MNIST-Rotations of the continual-learning
/// papers) by bilinear resampling about the centre, with black outside the original image.
torch::Tensor rotate(const torch::Tensor& x, const std::string& argument) {
  const auto degrees = parse_int(argument);
  METAEVO_CHECK(degrees >= 0 && degrees < 360, "rotations are whole degrees within [0, 360), got {}", argument);
  if (degrees % 90 == 0) return torch::rot90(x, degrees / 90, {2, 3});
  const double a = double(degrees) * M_PI / 180;
  // affine_grid maps output to input coordinates: the inverse rotation turns the image by +a.
  const auto theta = torch::tensor({std::cos(a), -std::sin(a), 0.0, std::sin(a), std::cos(a), 0.0}, torch::kFloat32)
                         .view({1, 2, 3})
                         .expand({x.size(0), 2, 3});
  namespace F = torch::nn::functional;
  const auto grid = F::affine_grid(theta, x.sizes().vec(), /*align_corners=*/false);
  return F::grid_sample(
      x, grid, F::GridSampleFuncOptions().mode(torch::kBilinear).padding_mode(torch::kZeros).align_corners(false));
}

torch::Tensor permute(const torch::Tensor& x, const std::string& argument) {
  RandomStream stream(uint64_t(parse_int(argument)), 0x7065726d);
  const auto order = torch::tensor(permutation(x.size(2) * x.size(3), stream), torch::kInt64);
  return x.flatten(2).index_select(2, order).view(x.sizes());
}

const Registrar<DatasetRegistry> mnist_registration("mnist", [] { return std::make_unique<Idx>("mnist"); });
const Registrar<DatasetRegistry> fashion_registration("fashion-mnist",
                                                      [] { return std::make_unique<Idx>("fashion-mnist"); });
const Registrar<DatasetRegistry> rotated_registration("mnist-rot",
                                                      [] { return std::make_unique<Idx>("mnist", rotate); });
const Registrar<DatasetRegistry> permuted_registration("mnist-perm",
                                                       [] { return std::make_unique<Idx>("mnist", permute); });

}  // namespace
}  // namespace metaevo::data
