#include "metaevo/data/images.h"

#include <algorithm>
#include <filesystem>

#include "metaevo/core/atomic_file.h"
#include "metaevo/core/error.h"
#include "metaevo/data/png.h"

namespace metaevo::data {

namespace fs = std::filesystem;

namespace {

bool is_png(const fs::path& p) {
  auto ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return ext == ".png";
}

bool hidden(const fs::path& p) { return p.filename().string().rfind('.', 0) == 0; }

}  // namespace

torch::Tensor read_png_image(const std::string& path, int64_t side) {
  std::string bytes;
  try {
    bytes = read_file(path);
  } catch (const std::exception& e) {
    fail("{}: cannot read the image: {}", path, e.what());
  }
  const auto gray = decode_png_gray(bytes.data(), bytes.size(), path).to(torch::kFloat32).div_(255);
  namespace F = torch::nn::functional;
  return F::interpolate(gray.unsqueeze(0).unsqueeze(0),
                        F::InterpolateFuncOptions().size(std::vector<int64_t>{side, side}).mode(torch::kArea))
      .squeeze(0);
}

bool light_background(const torch::Tensor& images) {
  METAEVO_CHECK(images.dim() == 4 && images.size(0) > 0, "light_background: expected images [N, 1, H, W], got {}",
                c10::str(images.sizes()));
  const int64_t h = images.size(2), w = images.size(3);
  const auto border = torch::cat({images.select(2, 0).flatten(), images.select(2, h - 1).flatten(),
                                  images.select(3, 0).flatten(), images.select(3, w - 1).flatten()});
  return border.mean().item<double>() > 0.5;
}

std::vector<std::string> subfolders(const std::string& dir) {
  METAEVO_CHECK(fs::is_directory(dir), "{}: no such folder", dir);
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.is_directory() && !hidden(entry.path())) out.push_back(entry.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> png_files(const std::string& dir) {
  METAEVO_CHECK(fs::is_directory(dir), "{}: no such folder", dir);
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_directory() || hidden(entry.path())) continue;
    METAEVO_CHECK(is_png(entry.path()), "{}: not a PNG image (images are read from .png files only)",
                  entry.path().string());
    out.push_back(entry.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

torch::Tensor read_png_images(const std::vector<std::string>& files, int64_t side) {
  std::vector<torch::Tensor> images;
  images.reserve(files.size());
  for (const auto& f : files) images.push_back(read_png_image(f, side));
  return images.empty() ? torch::empty({0, 1, side, side}) : torch::stack(images);
}

ClassFolders read_class_folders(const std::string& dir, int64_t side) {
  ClassFolders out;
  out.classes = subfolders(dir);
  METAEVO_CHECK(!out.classes.empty(), "{}: no class sub-folders (expected one folder of PNG images per class)", dir);
  std::vector<int64_t> labels;
  for (size_t c = 0; c < out.classes.size(); ++c) {
    const auto folder = (fs::path(dir) / out.classes[c]).string();
    const auto files = png_files(folder);
    METAEVO_CHECK(!files.empty(), "{}: the class folder holds no PNG image", folder);
    out.files.insert(out.files.end(), files.begin(), files.end());
    labels.insert(labels.end(), files.size(), int64_t(c));
  }
  out.images = read_png_images(out.files, side);
  out.labels = torch::tensor(labels, torch::kInt64);
  return out;
}

}  // namespace metaevo::data
