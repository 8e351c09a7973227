#include "metaevo/munet/tasks.h"

#include <filesystem>

#include "metaevo/core/random_stream.h"
#include "metaevo/data/dataset.h"
#include "metaevo/data/omniglot.h"

namespace metaevo::munet {

torch::Tensor to_task_images(const torch::Tensor& images) {
  const int64_t pad = (32 - images.size(-1)) / 2;
  return torch::constant_pad_nd(images, {pad, 32 - images.size(-1) - pad, pad, 32 - images.size(-2) - pad}, 0.0) * 2 -
         1;
}

namespace {

/// The task type of `name` ("type" or "type:argument") and its argument.
std::pair<std::unique_ptr<TaskType>, std::string> parse_task_name(const std::string& name) {
  const auto colon = name.find(':');
  const std::string type = name.substr(0, colon), argument = colon == std::string::npos ? "" : name.substr(colon + 1);
  return {TaskRegistry::instance().create(type, "task '" + name + "'"), argument};
}

}  // namespace

void check_task_name(const std::string& name) {
  const auto [type, argument] = parse_task_name(name);
  type->check(argument);
}

void check_task_data(const std::string& name, const DataDirs& dirs) {
  const auto [type, argument] = parse_task_name(name);
  with_context("task '" + name + "'", [&, &type = type] { type->check_data(dirs); });
}

TaskData load_task(const std::string& name, const DataDirs& dirs) {
  const auto [type, argument] = parse_task_name(name);
  type->check(argument);
  auto task = type->load(argument, dirs);
  task.name = name;
  return task;
}

namespace {

/// An IDX data set: the last 5,000 training images validate, the test file tests.
class Idx : public TaskType {
 public:
  Idx(std::string dataset, std::function<torch::Tensor(const torch::Tensor&, const std::string&)> transform = {})
      : dataset_(std::move(dataset)), transform_(std::move(transform)) {}
  void check(const std::string& argument) const override {
    if (!transform_ && !argument.empty()) fail("task '{}:{}': {} takes no argument", dataset_, argument, dataset_);
    // The transform refuses a bad argument; on one blank image that costs nothing.
    if (transform_) transform_(torch::zeros({1, 1, 28, 28}), argument);
  }
  void check_data(const DataDirs& dirs) const override {
    const auto dir = data::resolve_data_dir(dataset_, dataset_ == "mnist" ? dirs.mnist : dirs.fashion_mnist);
    METAEVO_CHECK(std::filesystem::is_directory(dir), "no {} data at {} (set data.{})", dataset_, dir,
                  dataset_ == "mnist" ? "mnist" : "fashion_mnist");
  }
  TaskData load(const std::string& argument, const DataDirs& dirs) const override {
    const auto& dir = dataset_ == "mnist" ? dirs.mnist : dirs.fashion_mnist;
    const auto all = data::load_mnist_like(data::resolve_data_dir(dataset_, dir), dataset_);
    auto images = [&](const torch::Tensor& x) { return to_task_images(transform_ ? transform_(x, argument) : x); };
    const int64_t n = all.train.images.size(0), valid = 5000;
    TaskData t;
    t.classes = all.train.num_classes;
    t.train = {images(all.train.images.narrow(0, 0, n - valid)), all.train.labels.narrow(0, 0, n - valid)};
    t.valid = {images(all.train.images.narrow(0, n - valid, valid)), all.train.labels.narrow(0, n - valid, valid)};
    t.test = {images(all.test.images), all.test.labels};
    return t;
  }
  std::vector<std::string> available(const DataDirs&) const override { return {dataset_}; }

 private:
  std::string dataset_;
  std::function<torch::Tensor(const torch::Tensor&, const std::string&)> transform_;
};

int64_t parse_int(const std::string& text, const std::string& what) {
  try {
    size_t used = 0;
    const auto v = std::stoll(text, &used);
    if (used == text.size()) return v;
  } catch (const std::exception&) {
  }
  fail("task '{}': '{}' is not an integer", what, text);
}

torch::Tensor rotate(const torch::Tensor& x, const std::string& argument) {
  const auto degrees = parse_int(argument, "mnist-rot:" + argument);
  METAEVO_CHECK(degrees % 90 == 0, "task 'mnist-rot:{}': rotations are multiples of 90 degrees", argument);
  return torch::rot90(x, (degrees / 90) % 4, {2, 3});
}

torch::Tensor permute(const torch::Tensor& x, const std::string& argument) {
  const auto seed = parse_int(argument, "mnist-perm:" + argument);
  RandomStream stream(uint64_t(seed), 0x7065726d);
  const auto order = torch::tensor(permutation(x.size(2) * x.size(3), stream), torch::kInt64);
  return x.flatten(2).index_select(2, order).view(x.sizes());
}

/// Omniglot characters as classes, each character's drawers split 70% / 15% / 15% in drawer order
/// into train / validation / test, so that tasks over the same characters (an alphabet, and the
/// set it belongs to) never test on images another one trained on.
class OmniglotCharacters : public TaskType {
 public:
  void check_data(const DataDirs& dirs) const override {
    const auto dir = data::resolve_data_dir("omniglot", dirs.omniglot);
    METAEVO_CHECK(std::filesystem::is_directory(dir), "no Omniglot data at {} (set data.omniglot)", dir);
  }
  TaskData load(const std::string& argument, const DataDirs& dirs) const override {
    const auto& omniglot = cached(dirs);
    const auto characters = select(omniglot, argument);
    std::vector<torch::Tensor> xs[3];
    std::vector<int64_t> ys[3];
    for (size_t c = 0; c < characters.size(); ++c) {
      const auto& images = omniglot.characters()[size_t(characters[c])].images;
      const int64_t n = images.size(0);
      const int64_t n_train = n * 7 / 10, n_valid = (n - n_train) / 2;
      const int64_t bounds[4] = {0, n_train, n_train + n_valid, n};
      for (int s = 0; s < 3; ++s)
        for (int64_t i = bounds[s]; i < bounds[s + 1]; ++i) {
          xs[s].push_back(images[i]);
          ys[s].push_back(int64_t(c));
        }
    }
    TaskData t;
    t.classes = int64_t(characters.size());
    TaskSplit* splits[3] = {&t.train, &t.valid, &t.test};
    for (int s = 0; s < 3; ++s) *splits[s] = {to_task_images(torch::stack(xs[s])), torch::tensor(ys[s])};
    return t;
  }

 protected:
  /// Positions in omniglot.characters() of the task's classes.
  virtual std::vector<int64_t> select(const data::Omniglot& omniglot, const std::string& argument) const = 0;
  static const data::Omniglot& cached(const DataDirs& dirs) {
    static std::map<std::string, data::Omniglot> loaded;
    const auto dir = data::resolve_data_dir("omniglot", dirs.omniglot);
    auto it = loaded.find(dir);
    if (it == loaded.end()) it = loaded.emplace(dir, data::Omniglot::load(dir)).first;
    return it->second;
  }
};

/// "omniglot:<Alphabet>": one alphabet's characters.
class OmniglotAlphabet : public OmniglotCharacters {
 public:
  std::vector<std::string> available(const DataDirs& dirs) const override {
    std::vector<std::string> out;
    for (const auto& a : cached(dirs).alphabets()) out.push_back("omniglot:" + a);
    return out;
  }

 protected:
  std::vector<int64_t> select(const data::Omniglot& omniglot, const std::string& alphabet) const override {
    return omniglot.characters_of(alphabet);  // an Error naming an unknown alphabet
  }
};

/// "omniglot-set:background" (964 characters of 30 alphabets) or "omniglot-set:evaluation" (659 of
/// 20): a large source task to pretrain a root on.
class OmniglotSet : public OmniglotCharacters {
 public:
  std::vector<std::string> available(const DataDirs&) const override {
    return {"omniglot-set:background", "omniglot-set:evaluation"};
  }

 protected:
  std::vector<int64_t> select(const data::Omniglot& omniglot, const std::string& set) const override {
    METAEVO_CHECK(set == "background" || set == "evaluation",
                  "task 'omniglot-set:{}': the set is 'background' or 'evaluation'", set);
    std::vector<int64_t> out;
    for (size_t i = 0; i < omniglot.characters().size(); ++i)
      if (omniglot.characters()[i].background == (set == "background")) out.push_back(int64_t(i));
    return out;
  }
};

const Registrar<TaskRegistry> mnist_registration("mnist", [] { return std::make_unique<Idx>("mnist"); });
const Registrar<TaskRegistry> fashion_registration("fashion-mnist",
                                                   [] { return std::make_unique<Idx>("fashion-mnist"); });
const Registrar<TaskRegistry> rotated_registration("mnist-rot", [] { return std::make_unique<Idx>("mnist", rotate); });
const Registrar<TaskRegistry> permuted_registration("mnist-perm",
                                                    [] { return std::make_unique<Idx>("mnist", permute); });
const Registrar<TaskRegistry> omniglot_registration("omniglot", [] { return std::make_unique<OmniglotAlphabet>(); });
const Registrar<TaskRegistry> omniglot_set_registration("omniglot-set", [] { return std::make_unique<OmniglotSet>(); });

}  // namespace
}  // namespace metaevo::munet
