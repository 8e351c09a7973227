#pragma once
// Omniglot (Lake, Salakhutdinov & Tenenbaum, "Human-level concept learning through probabilistic
// program induction", Science 2015): 1623 handwritten characters from 50 alphabets, each drawn
// once by 20 people, read from the official release, plus the class splits of Vinyals et al.,
// "Matching Networks for One Shot Learning" (NeurIPS 2016), where each of the four 90-degree
// rotations of a character is a class of its own.
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "metaevo/data/cache.h"

namespace metaevo::data {

struct OmniglotCharacter {
  std::string alphabet;      // e.g. "Alphabet_of_the_Magi"
  std::string character;     // e.g. "character01"
  bool background = false;   // from images_background (Lake et al.'s training set), else images_evaluation
  torch::Tensor images;      // float32 [D, 1, S, S] in [0, 1], stroke = 1, background = 0; D = 20 in the release
  std::vector<int> drawers;  // the drawer of each image (the `_NN` of `<id>_NN.png`), ascending

  std::string key() const { return alphabet + "/" + character; }
};

/// All characters of both official sets. The release's 105x105 1-bit PNGs have a BLACK stroke on
/// white; here they are inverted (stroke = 1) and area-downsampled to `image_size`.
class Omniglot {
 public:
  /// Reads `dir`/images_background.zip and `dir`/images_evaluation.zip (libzip), or the extracted
  /// folders `dir`/images_background/ and `dir`/images_evaluation/ when a zip is absent. Entries
  /// are `<set>/<Alphabet>/<characterNN>/<id>_<drawer>.png`. Characters are sorted by (alphabet,
  /// character) in byte order, images by drawer. image_size = 105 keeps the original pixels.
  /// Decoding takes seconds: the result is cached in `cache_dir` ("" = not cached) under the
  /// release's identity (each zip's or extracted file's path, size and modification time) and
  /// image_size, and a later load of the same release reads it back, bitwise the same.
  static Omniglot load(const std::string& dir, int64_t image_size = 28,
                       const std::string& cache_dir = default_cache_dir());

  const std::vector<OmniglotCharacter>& characters() const { return characters_; }
  /// Position in characters() of "Alphabet/characterNN"; an Error if there is no such character.
  int64_t index_of(const std::string& key) const;
  const OmniglotCharacter& at(const std::string& key) const { return characters_[size_t(index_of(key))]; }
  /// Alphabet names, sorted.
  std::vector<std::string> alphabets() const;
  /// Positions in characters() of the characters of `alphabet`, in order; an Error if unknown.
  std::vector<int64_t> characters_of(const std::string& alphabet) const;
  int64_t image_size() const { return image_size_; }
  const std::string& dir() const { return dir_; }

 private:
  Omniglot(std::string dir, int64_t image_size, std::vector<OmniglotCharacter> characters);

  std::string dir_;
  int64_t image_size_ = 0;
  std::vector<OmniglotCharacter> characters_;
  std::unordered_map<std::string, int64_t> index_;
};

/// One class of a Vinyals split: a character turned counter-clockwise by rotation_degrees.
struct OmniglotClass {
  std::string character;     // "Alphabet/characterNN"
  int rotation_degrees = 0;  // 0, 90, 180 or 270
};

/// `dir`/splits/vinyals/`split`.txt, where split is train, val, test or trainval.
std::string vinyals_split_path(const std::string& dir, const std::string& split);

/// Classes listed in a split file, one `Alphabet/characterNN/rotDDD` per line (DDD one of 000,
/// 090, 180, 270; blank lines ignored). A missing file or a malformed line is an Error naming the
/// file and line.
std::vector<OmniglotClass> read_vinyals_split(const std::string& path);

/// The images of `c`'s character rotated counter-clockwise (as PIL's Image.rotate, which the
/// reference implementations use): float32 [D, 1, S, S].
torch::Tensor class_images(const Omniglot& omniglot, const OmniglotClass& c);

}  // namespace metaevo::data
