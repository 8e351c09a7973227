#include "metaevo/data/dataset.h"

#include <cstdlib>
#include <filesystem>

#include "metaevo/core/error.h"
#include "metaevo/data/idx.h"

namespace metaevo::data {
namespace {

namespace fs = std::filesystem;

// The release file `stem` in `dir`, gzipped or raw; the .gz name when neither exists, for the error.
std::string find_release_file(const std::string& dir, const std::string& stem) {
  for (const auto& name : {stem + ".gz", stem})
    if (fs::exists(fs::path(dir) / name)) return (fs::path(dir) / name).string();
  fail("{}: missing {} (or {}.gz)", dir, stem, stem);
}

Split load_split(const std::string& dir, const std::string& prefix) {
  const auto image_path = find_release_file(dir, prefix + "-images-idx3-ubyte");
  const auto label_path = find_release_file(dir, prefix + "-labels-idx1-ubyte");
  auto images = read_idx(image_path);
  auto labels = read_idx(label_path);
  if (images.dim() != 3) fail("{}: expected 3 dimensions (N, H, W), got {}", image_path, images.dim());
  if (labels.dim() != 1) fail("{}: expected 1 dimension (N), got {}", label_path, labels.dim());
  if (images.size(0) != labels.size(0))
    fail("{} has {} images but {} has {} labels", image_path, images.size(0), label_path, labels.size(0));
  return {images.unsqueeze(1).to(torch::kFloat32).div_(255.0f), labels.to(torch::kInt64)};
}

}  // namespace

Examples load_mnist_like(const std::string& dir) {
  if (!fs::is_directory(dir)) fail("{}: data folder not found (point the data dir or $METAEVO_DATA_DIR at it)", dir);
  Examples data;
  data.pool = load_split(dir, "train");
  data.test = load_split(dir, "t10k");
  const auto train_hw = data.pool.x.sizes().slice(2), test_hw = data.test.x.sizes().slice(2);
  if (train_hw != test_hw)
    fail("{}: train images are {}x{} but t10k images are {}x{}", dir, train_hw[0], train_hw[1], test_hw[0], test_hw[1]);
  data.classes = std::max(data.pool.y.max().item<int64_t>(), data.test.y.max().item<int64_t>()) + 1;
  return data;
}

std::string resolve_data_dir(const std::string& dataset, const std::string& flag_value) {
  if (!flag_value.empty()) return flag_value;
  if (const char* root = std::getenv("METAEVO_DATA_DIR")) {
    const auto candidate = fs::path(root) / dataset;
    if (fs::is_directory(candidate)) return candidate.string();
  }
  if (dataset == "fashion-mnist") return "/usr/share/datasets/fashion-mnist";
  if (dataset == "omniglot") return "../shared/data/omniglot";
  return (fs::path("data") / dataset).string();
}

}  // namespace metaevo::data
