#pragma once
// Images from files a user supplies: PNGs of any size and bit depth, one folder per class. They are
// read the way the bundled data sets are (gray, area-resized to a square side), and ink polarity
// is decided from the borders, since drawings come both dark-on-light and light-on-dark.
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace metaevo::data {

/// The side every image data set is read at: Omniglot is area-downsampled to it from 105.
constexpr int64_t kImageSide = 28;

/// The PNG at `path` as float [1, side, side] in [0, 1] (0 black, 1 white), converted to gray and
/// area-resized (the aspect ratio is not kept). An unreadable or malformed file is an Error naming it.
torch::Tensor read_png_image(const std::string& path, int64_t side = kImageSide);

/// Whether images [N, 1, H, W] in [0, 1] have a light background: the mean of their one-pixel
/// borders is above 0.5. The data sets hold bright strokes on black, so such images are inverted.
bool light_background(const torch::Tensor& images);

/// The names of `dir`'s sub-folders, hidden ones skipped, sorted in byte order; an Error naming a
/// missing folder.
std::vector<std::string> subfolders(const std::string& dir);

/// The PNG files of `dir` (not of its sub-folders), sorted in byte order. Hidden files are skipped;
/// any other file that is not a .png is an Error naming it, as is a missing folder.
std::vector<std::string> png_files(const std::string& dir);

/// Images of a folder with one sub-folder per class.
struct ClassFolders {
  std::vector<std::string> classes;  // sub-folder names, sorted in byte order; label i is classes[i]
  std::vector<std::string> files;    // one path per image
  torch::Tensor images;              // float [N, 1, side, side] in [0, 1], as read (no inversion)
  torch::Tensor labels;              // int64 [N], class-major
};

/// Reads `dir`'s class sub-folders. A missing folder, one without class sub-folders, a class
/// folder without a PNG, or an unreadable image is an Error naming the folder or file.
ClassFolders read_class_folders(const std::string& dir, int64_t side = kImageSide);

/// Images of `files`, stacked: float [N, 1, side, side].
torch::Tensor read_png_images(const std::vector<std::string>& files, int64_t side = kImageSide);

}  // namespace metaevo::data
