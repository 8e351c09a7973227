// Omniglot as data sets:
// - "omniglot:<Alphabet>" classifies one alphabet's characters and "omniglot-set:background|evaluation"
//   all characters of one official set (a source task to pretrain on). Each character's drawers
//   split 70% / 15% / 15% in drawer order into train / validation / test, so that data sets over
//   the same characters (an alphabet, and the set it belongs to) never test on images another
//   one trained on.
// - "omniglot-mt:<Alphabet>" is the same alphabet under the 50% / 20% / 30% split of the
//   multitask Omniglot benchmark (Maziarz et al., Gumbel-Matrix routing: 10 / 4 / 6 drawers).
// - "omniglot-vinyals" holds Vinyals et al.'s class splits, each rotation a class: train classes
//   train, val classes validate, test classes test (few-shot episodes are drawn within a split).
//   "omniglot-vinyals:trainval" trains on the train and val classes.
// - "omniglot-background" is Lake et al.'s official split: the background set's characters train,
//   five of its 30 alphabets held out validate (every sixth in sorted order, so that validation,
//   like the test, asks for new alphabets), and the evaluation set's 20 alphabets test; nothing of
//   the evaluation set is seen before the test. "omniglot-background:rotations" adds the training
//   characters' 90, 180 and 270-degree rotations as classes of their own.
// Class names are "Alphabet/characterNN", with "/rotDDD" for a rotated class, so the alphabet is
// the part before the first '/'.
#include <map>
#include <mutex>
#include <set>

#include "metaevo/data/datasets.h"
#include "metaevo/data/omniglot.h"

namespace metaevo::data {
namespace {

/// The release at `dir`, read once per process: it takes seconds, and muNet reads many alphabets.
const Omniglot& cached(const std::string& dir) {
  static std::mutex mutex;
  static std::map<std::string, Omniglot> loaded;
  const std::lock_guard<std::mutex> lock(mutex);
  auto it = loaded.find(dir);
  if (it == loaded.end()) it = loaded.emplace(dir, Omniglot::load(dir)).first;
  return it->second;
}

class OmniglotCharacters : public DatasetSource {
 public:
  /// Percent of every character's drawers that train and validate; the rest test.
  explicit OmniglotCharacters(int64_t train_percent = 70, int64_t valid_percent = 15)
      : train_percent_(train_percent), valid_percent_(valid_percent) {}
  std::string folder() const override { return "omniglot"; }
  Examples read(const std::string& argument, const std::string& dir) const override {
    const auto& omniglot = cached(dir);
    const auto characters = select(omniglot, argument);
    std::vector<torch::Tensor> images;
    for (auto c : characters) {
      images.push_back(omniglot.characters()[size_t(c)].images);
      METAEVO_CHECK(images.back().size(0) == images.front().size(0),
                    "{}: characters differ in their number of drawings ({} has {}, {} has {})", dir,
                    omniglot.characters()[size_t(c)].key(), images.back().size(0),
                    omniglot.characters()[size_t(characters.front())].key(), images.front().size(0));
    }
    const auto all = torch::stack(images);  // [C, D, 1, S, S]
    const int64_t classes = all.size(0), n = all.size(1);
    const int64_t n_train = n * train_percent_ / 100, n_valid = n * valid_percent_ / 100, n_pool = n_train + n_valid;
    // Drawer-major: the pool's tail is the last drawers of every character.
    auto flat = [&](int64_t begin, int64_t end) {
      const auto x = all.slice(1, begin, end).transpose(0, 1).reshape({-1, 1, all.size(3), all.size(4)});
      return Split{x, torch::arange(classes, torch::kInt64).repeat({end - begin})};
    };
    std::vector<std::string> names;
    for (auto c : characters) names.push_back(omniglot.characters()[size_t(c)].key());
    return {flat(0, n_pool), flat(n_pool, n), classes, n_valid * classes, names};
  }

 protected:
  /// Positions in omniglot.characters() of the data set's classes.
  virtual std::vector<int64_t> select(const Omniglot& omniglot, const std::string& argument) const = 0;

 private:
  int64_t train_percent_, valid_percent_;
};

class OmniglotAlphabet : public OmniglotCharacters {
 public:
  using OmniglotCharacters::OmniglotCharacters;
  void check(const std::string& argument) const override {
    METAEVO_CHECK(!argument.empty(), "name an alphabet, e.g. omniglot:Greek");
  }
  std::vector<std::string> available(const std::string& source, const std::string& dir) const override {
    std::vector<std::string> out;
    for (const auto& a : cached(dir).alphabets()) out.push_back(source + ":" + a);
    return out;
  }

 protected:
  std::vector<int64_t> select(const Omniglot& omniglot, const std::string& alphabet) const override {
    return omniglot.characters_of(alphabet);  // an Error naming an unknown alphabet
  }
};

class OmniglotSet : public OmniglotCharacters {
 public:
  void check(const std::string& set) const override {
    METAEVO_CHECK(set == "background" || set == "evaluation", "the set is 'background' or 'evaluation', got '{}'", set);
  }
  std::vector<std::string> available(const std::string& source, const std::string&) const override {
    return {source + ":background", source + ":evaluation"};
  }

 protected:
  std::vector<int64_t> select(const Omniglot& omniglot, const std::string& set) const override {
    std::vector<int64_t> out;
    for (size_t i = 0; i < omniglot.characters().size(); ++i)
      if (omniglot.characters()[i].background == (set == "background")) out.push_back(int64_t(i));
    return out;
  }
};

/// Class-major examples of classes listed per split, each class's images in drawer order. Labels
/// number the classes in order of first appearance, so a class listed in two splits (val, within
/// Vinyals' trainval) keeps one label. Each split's images are copied once, into one tensor: the
/// Vinyals splits hold 130k images, and every extra copy of them costs about a second.
class ClassSplits {
 public:
  explicit ClassSplits(const Omniglot& omniglot) : omniglot_(omniglot) {}
  /// Train and validation classes make the pool, validation last.
  Examples examples(const std::vector<OmniglotClass>& train, const std::vector<OmniglotClass>& valid,
                    const std::vector<OmniglotClass>& test) {
    auto pool_classes = train;
    pool_classes.insert(pool_classes.end(), valid.begin(), valid.end());
    auto pool = split(pool_classes);
    auto test_split = split(test);
    return {std::move(pool), std::move(test_split), int64_t(names_.size()), images_of(valid), names_};
  }

 private:
  int64_t images_of(const std::vector<OmniglotClass>& classes) const {
    int64_t n = 0;
    for (const auto& c : classes) n += omniglot_.at(c.character).images.size(0);
    return n;
  }

  Split split(const std::vector<OmniglotClass>& classes) {
    const int64_t size = omniglot_.image_size();
    auto x = torch::empty({images_of(classes), 1, size, size}, torch::kFloat32);
    std::vector<int64_t> ys;
    for (const auto& c : classes) {
      const auto name =
          c.rotation_degrees == 0 ? c.character : fmt::format("{}/rot{:03d}", c.character, c.rotation_degrees);
      const auto id = label_.emplace(name, int64_t(names_.size())).first->second;
      if (id == int64_t(names_.size())) names_.push_back(name);
      const auto images = class_images(omniglot_, c);
      x.narrow(0, int64_t(ys.size()), images.size(0)).copy_(images);
      ys.insert(ys.end(), size_t(images.size(0)), id);
    }
    return {x, torch::tensor(ys, torch::kInt64)};
  }

  const Omniglot& omniglot_;
  std::map<std::string, int64_t> label_;
  std::vector<std::string> names_;
};

class OmniglotVinyals : public DatasetSource {
 public:
  std::string folder() const override { return "omniglot"; }
  void check(const std::string& argument) const override {
    METAEVO_CHECK(argument.empty() || argument == "trainval", "the argument is empty or 'trainval', got '{}'",
                  argument);
  }
  std::vector<std::string> available(const std::string& source, const std::string&) const override {
    return {source, source + ":trainval"};
  }
  Examples read(const std::string& argument, const std::string& dir) const override {
    auto classes = [&](const std::string& name) { return read_vinyals_split(vinyals_split_path(dir, name)); };
    return ClassSplits(cached(dir))
        .examples(classes(argument.empty() ? "train" : "trainval"), classes("val"), classes("test"));
  }
};

class OmniglotBackground : public DatasetSource {
 public:
  std::string folder() const override { return "omniglot"; }
  void check(const std::string& argument) const override {
    METAEVO_CHECK(argument.empty() || argument == "rotations", "the argument is empty or 'rotations', got '{}'",
                  argument);
  }
  std::vector<std::string> available(const std::string& source, const std::string&) const override {
    return {source, source + ":rotations"};
  }
  Examples read(const std::string& argument, const std::string& dir) const override {
    const auto& omniglot = cached(dir);
    std::vector<std::string> background;
    for (const auto& c : omniglot.characters())
      if (c.background && (background.empty() || background.back() != c.alphabet)) background.push_back(c.alphabet);
    std::set<std::string> held_out;
    for (size_t i = 5; i < background.size(); i += 6) held_out.insert(background[i]);
    std::vector<OmniglotClass> train, valid, test;
    for (const auto& c : omniglot.characters()) {
      if (!c.background) {
        test.push_back({c.key(), 0});
      } else if (held_out.count(c.alphabet)) {
        valid.push_back({c.key(), 0});
      } else {
        for (int degrees = 0; degrees < (argument == "rotations" ? 360 : 90); degrees += 90)
          train.push_back({c.key(), degrees});
      }
    }
    METAEVO_CHECK(!valid.empty() && !test.empty(), "{}: the release lacks background or evaluation characters", dir);
    return ClassSplits(omniglot).examples(train, valid, test);
  }
};

const Registrar<DatasetRegistry> omniglot_registration("omniglot", [] { return std::make_unique<OmniglotAlphabet>(); });
const Registrar<DatasetRegistry> multitask_registration("omniglot-mt",
                                                        [] { return std::make_unique<OmniglotAlphabet>(50, 20); });
const Registrar<DatasetRegistry> omniglot_set_registration("omniglot-set",
                                                           [] { return std::make_unique<OmniglotSet>(); });
const Registrar<DatasetRegistry> vinyals_registration("omniglot-vinyals",
                                                      [] { return std::make_unique<OmniglotVinyals>(); });
const Registrar<DatasetRegistry> background_registration("omniglot-background",
                                                         [] { return std::make_unique<OmniglotBackground>(); });

}  // namespace
}  // namespace metaevo::data
