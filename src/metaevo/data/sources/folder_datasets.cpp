// "folder:PATH": a user's images, one sub-folder of PNGs per class (data/images.h reads them).
// - With train/, val/ and test/ sub-folders, each holding class folders, the splits have disjoint
//   classes, as few-shot learning needs (episodes of train's classes train, of test's test).
// - Otherwise the class folders are the classes and each class's images, in file-name order, split
//   70% / 15% / 15% into train / validation / test, for classification.
// Images are read at kImageSide, like the bundled sets, and inverted when their borders are light
// on the whole (decided once per data set, so every image keeps the same polarity): the bundled
// sets hold bright strokes on black.
#include <filesystem>

#include "metaevo/data/datasets.h"
#include "metaevo/data/images.h"

namespace metaevo::data {
namespace {

namespace fs = std::filesystem;

/// `folders`' images with labels offset by the classes before them, and the names of their classes.
Split append(const ClassFolders& folders, const std::string& prefix, std::vector<std::string>& names) {
  const auto offset = int64_t(names.size());
  for (const auto& c : folders.classes) names.push_back(prefix + c);
  return {folders.images, folders.labels + offset};
}

class FolderDataset : public DatasetSource {
 public:
  std::string folder() const override { return ""; }  // the path is the argument
  void check(const std::string& path) const override {
    METAEVO_CHECK(!path.empty(), "name the folder, e.g. folder:/data/my-classes");
    METAEVO_CHECK(fs::is_directory(path), "{}: no such folder", path);
  }
  Examples read(const std::string& path, const std::string&) const override {
    Examples out;
    if (fs::is_directory(fs::path(path) / "train") || fs::is_directory(fs::path(path) / "test")) {
      for (const char* split : {"train", "val", "test"})
        METAEVO_CHECK(fs::is_directory(fs::path(path) / split),
                      "{}: a folder split by classes holds train/, val/ and test/; {}/ is missing", path, split);
      const auto train = append(read_class_folders((fs::path(path) / "train").string()), "train/", out.class_names);
      const auto valid = append(read_class_folders((fs::path(path) / "val").string()), "val/", out.class_names);
      out.test = append(read_class_folders((fs::path(path) / "test").string()), "test/", out.class_names);
      out.pool = {torch::cat({train.x, valid.x}), torch::cat({train.y, valid.y})};
      out.default_valid = valid.size();
    } else {
      const auto all = read_class_folders(path);
      out.class_names = all.classes;
      // Per class: the first 70% train, the next 15% validate, the rest test. The pool is ordered
      // train examples first, then validation, so the split rule's tail is the validation part.
      std::vector<int64_t> train, valid, test;
      const auto* y = all.labels.data_ptr<int64_t>();
      for (int64_t begin = 0, end = 0, n = all.labels.numel(); begin < n; begin = end) {
        while (end < n && y[end] == y[begin]) ++end;
        const int64_t count = end - begin, n_train = count * 7 / 10, n_valid = (count - n_train) / 2;
        METAEVO_CHECK(n_train >= 1 && count - n_train - n_valid >= 1,
                      "{}/{}: {} images are too few to split into train, validation and test (at least 3)", path,
                      all.classes[size_t(y[begin])], count);
        for (int64_t i = begin; i < end; ++i)
          (i < begin + n_train ? train : i < begin + n_train + n_valid ? valid : test).push_back(i);
      }
      train.insert(train.end(), valid.begin(), valid.end());
      const Split examples{all.images, all.labels};
      out.pool = examples.rows(torch::tensor(train));
      out.test = examples.rows(torch::tensor(test));
      out.default_valid = int64_t(valid.size());
    }
    out.classes = int64_t(out.class_names.size());
    if (light_background(torch::cat({out.pool.x, out.test.x}))) {
      out.pool.x = 1 - out.pool.x;
      out.test.x = 1 - out.test.x;
    }
    return out;
  }
};

const Registrar<DatasetRegistry> folder_registration("folder", [] { return std::make_unique<FolderDataset>(); });

}  // namespace
}  // namespace metaevo::data
