#include "metaevo/data/omniglot.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <zip.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <optional>
#include <thread>
#include <tuple>

#include "metaevo/core/atomic_file.h"
#include "metaevo/core/error.h"
#include "metaevo/data/png.h"

namespace metaevo::data {
namespace {

namespace fs = std::filesystem;

constexpr const char* kSets[] = {"images_background", "images_evaluation"};

// One PNG of the release, still encoded.
struct Entry {
  std::string alphabet, character;
  int drawer = 0;
  bool background = false;
  std::string origin;  // file path, or "archive.zip: entry" for errors
  std::vector<uint8_t> bytes;
};

// Fills alphabet/character/drawer from `relative` ("<Alphabet>/<characterNN>/<id>_<drawer>.png",
// below the set folder). False for files that are not part of the release (no .png suffix, or
// hidden files such as macOS's "._x.png").
bool parse_entry_name(const std::string& relative, Entry& e) {
  const auto file_start = relative.rfind('/') + 1;  // npos + 1 == 0
  if (relative.size() < 4 || relative.compare(relative.size() - 4, 4, ".png") != 0 || relative[file_start] == '.')
    return false;
  const auto slash1 = relative.find('/');
  const auto slash2 = slash1 == std::string::npos ? slash1 : relative.find('/', slash1 + 1);
  const auto underscore = relative.rfind('_');
  const auto digits = underscore == std::string::npos || underscore < file_start
                          ? std::string()
                          : relative.substr(underscore + 1, relative.size() - 4 - underscore - 1);
  if (slash1 == 0 || slash2 == std::string::npos || slash2 == slash1 + 1 || slash2 + 1 != file_start ||
      digits.empty() || digits.size() > 6 ||
      !std::all_of(digits.begin(), digits.end(), [](char d) { return d >= '0' && d <= '9'; }))
    fail("{}: unexpected file in the Omniglot release (expected <Alphabet>/<characterNN>/<id>_<drawer>.png)", e.origin);
  e.alphabet = relative.substr(0, slash1);
  e.character = relative.substr(slash1 + 1, slash2 - slash1 - 1);
  e.drawer = std::stoi(digits);
  return true;
}

struct ZipDiscard {
  void operator()(zip_t* z) const { zip_discard(z); }
};
struct ZipClose {
  void operator()(zip_file_t* f) const { zip_fclose(f); }
};

void read_zip(const std::string& path, const std::string& set, bool background, std::vector<Entry>& out) {
  int code = 0;
  std::unique_ptr<zip_t, ZipDiscard> archive(zip_open(path.c_str(), ZIP_RDONLY, &code));
  if (!archive) {
    zip_error_t error;
    zip_error_init_with_code(&error, code);
    const std::string message = zip_error_strerror(&error);
    zip_error_fini(&error);
    fail("{}: cannot read zip archive: {}", path, message);
  }
  const std::string prefix = set + "/";
  const zip_int64_t n = zip_get_num_entries(archive.get(), 0);
  for (zip_int64_t i = 0; i < n; ++i) {
    zip_stat_t st;
    if (zip_stat_index(archive.get(), zip_uint64_t(i), 0, &st) != 0)
      fail("{}: entry {}: {}", path, i, zip_strerror(archive.get()));
    const std::string name = st.name;
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    Entry e;
    e.origin = path + ": " + name;
    e.background = background;
    if (!parse_entry_name(name.substr(prefix.size()), e)) continue;
    std::unique_ptr<zip_file_t, ZipClose> file(zip_fopen_index(archive.get(), zip_uint64_t(i), 0));
    if (!file) fail("{}: {}", e.origin, zip_strerror(archive.get()));
    e.bytes.resize(st.size);
    const zip_int64_t got = zip_fread(file.get(), e.bytes.data(), st.size);
    if (got < 0) fail("{}: {}", e.origin, zip_file_strerror(file.get()));
    if (zip_uint64_t(got) != st.size) fail("{}: truncated: expected {} bytes, got {}", e.origin, st.size, got);
    out.push_back(std::move(e));
  }
}

void read_folder(const fs::path& root, bool background, std::vector<Entry>& out) {
  try {
    for (const auto& item : fs::recursive_directory_iterator(root)) {
      if (!item.is_regular_file()) continue;
      Entry e;
      e.origin = item.path().string();
      e.background = background;
      if (!parse_entry_name(item.path().lexically_relative(root).generic_string(), e)) continue;
      std::ifstream in(item.path(), std::ios::binary);
      if (!in) fail("{}: cannot open file", e.origin);
      e.bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      if (in.bad()) fail("{}: cannot read file", e.origin);
      out.push_back(std::move(e));
    }
  } catch (const fs::filesystem_error& e) {
    fail("{}: cannot list the Omniglot images: {}", root.string(), e.what());
  }
}

// Runs body(i) for every i in [0, n) on at::get_num_threads() threads and rethrows the first
// error. Plain threads: at::parallel_for is serial in translation units built without -fopenmp,
// as ours are.
template <typename Body>
void parallel_over(int64_t n, const Body& body) {
  const int64_t threads = std::min<int64_t>(n, std::max(1, at::get_num_threads()));
  std::atomic<int64_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto work = [&] {
    try {
      for (int64_t i; (i = next++) < n;) body(i);
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) error = std::current_exception();
      next = n;
    }
  };
  std::vector<std::thread> pool;
  for (int64_t t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

// Each set's source (its zip, or every file of its extracted folder) by path, size and
// modification time: what tells one release, or one edit of it, from another without reading it.
// Empty when the release cannot be listed: load() then reports what is wrong.
std::string release_identity(const std::string& dir) {
  std::error_code error;
  std::string identity;
  auto add = [&](const fs::path& file, const std::string& name) {
    const auto size = fs::file_size(file, error);
    const auto time = fs::last_write_time(file, error).time_since_epoch().count();
    identity += fmt::format("{}\t{}\t{}\n", name, size, time);
  };
  for (const std::string set : kSets) {
    const fs::path zip = fs::path(dir) / (set + ".zip"), folder = fs::path(dir) / set;
    if (fs::is_regular_file(zip, error)) {
      add(zip, fs::canonical(zip, error).string());
    } else if (fs::is_directory(folder, error)) {
      const auto root = fs::canonical(folder, error);
      std::vector<fs::path> files;
      for (fs::recursive_directory_iterator it(root, error), end; !error && it != end; it.increment(error))
        if (it->is_regular_file(error)) files.push_back(it->path());
      std::sort(files.begin(), files.end());
      for (const auto& file : files) add(file, file.string());
    }
    if (error) return "";
  }
  return identity;
}

constexpr const char* kCacheMagic = "metaevo omniglot cache 1";

// The characters and images of a cache file for the release `identity` at `image_size`, or none
// when the file is absent, for another release or damaged: it is then decoded and written again.
std::optional<std::pair<std::vector<OmniglotCharacter>, torch::Tensor>> read_cache(const std::string& path,
                                                                                   const std::string& identity,
                                                                                   int64_t image_size) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  try {
    std::string line, hash;
    int64_t num_characters = 0, num_images = 0, size = 0;
    if (!std::getline(in, line) || line != kCacheMagic || !std::getline(in, hash) || hash != short_hash(identity) ||
        !(in >> num_characters >> num_images >> size) || size != image_size || num_characters < 1 ||
        num_images < num_characters || in.get() != '\n')
      return std::nullopt;
    std::vector<OmniglotCharacter> characters(static_cast<size_t>(num_characters));
    int64_t images = 0;
    for (auto& c : characters) {
      std::string drawers;
      if (!std::getline(in, c.alphabet, '\t') || !std::getline(in, c.character, '\t') ||
          !std::getline(in, line, '\t') || !std::getline(in, drawers))
        return std::nullopt;
      c.background = line == "1";
      for (size_t at = 0; at < drawers.size();) {
        const auto comma = std::min(drawers.find(',', at), drawers.size());
        c.drawers.push_back(std::stoi(drawers.substr(at, comma - at)));
        at = comma + 1;
      }
      images += int64_t(c.drawers.size());
    }
    if (images != num_images) return std::nullopt;
    auto all = torch::empty({num_images, 1, size, size}, torch::kFloat32);
    const auto bytes = std::streamsize(all.numel() * int64_t(sizeof(float)));
    if (!in.read(static_cast<char*>(all.data_ptr()), bytes) || in.peek() != std::ifstream::traits_type::eof())
      return std::nullopt;
    return std::make_pair(std::move(characters), all);
  } catch (const std::exception&) {  // a malformed drawer number
    return std::nullopt;
  }
}

// A cache that cannot be written (a read-only home, a full disk) costs only time: the next load
// decodes again.
void write_cache(const std::string& path, const std::string& identity, const std::vector<OmniglotCharacter>& characters,
                 const torch::Tensor& all) {
  std::string bytes =
      fmt::format("{}\n{}\n{} {} {}\n", kCacheMagic, short_hash(identity), characters.size(), all.size(0), all.size(2));
  for (const auto& c : characters) {
    if ((c.alphabet + c.character).find_first_of("\t\n") != std::string::npos) return;
    bytes += fmt::format("{}\t{}\t{}\t{}\n", c.alphabet, c.character, c.background ? 1 : 0, fmt::join(c.drawers, ","));
  }
  const auto* data = static_cast<const char*>(all.data_ptr());
  bytes.append(data, size_t(all.numel()) * sizeof(float));
  try {
    write_file_atomic(path, bytes);  // creates the folder
  } catch (const std::exception&) {
  }
}

}  // namespace

Omniglot Omniglot::load(const std::string& dir, int64_t image_size, const std::string& cache_dir) {
  if (image_size < 1) fail("omniglot: image_size must be >= 1, got {}", image_size);
  const auto identity = cache_dir.empty() ? std::string() : release_identity(dir);
  const auto cache =
      identity.empty()
          ? std::string()
          : (fs::path(cache_dir) / fmt::format("omniglot-{}px-{}.bin", image_size, short_hash(identity))).string();
  if (!cache.empty())
    if (auto cached = read_cache(cache, identity, image_size)) {
      auto& [characters, all] = *cached;
      int64_t first = 0;
      for (auto& c : characters) {
        c.images = all.narrow(0, first, int64_t(c.drawers.size()));
        first += int64_t(c.drawers.size());
      }
      return Omniglot(dir, image_size, std::move(characters));
    }
  std::vector<Entry> entries;
  for (const std::string set : kSets) {
    const bool background = set == kSets[0];
    const fs::path zip = fs::path(dir) / (set + ".zip"), folder = fs::path(dir) / set;
    if (fs::is_regular_file(zip))
      read_zip(zip.string(), set, background, entries);
    else if (fs::is_directory(folder))
      read_folder(folder, background, entries);
    else
      fail(
          "Omniglot not found: neither {} nor {}/ exists (set METAEVO_DATA_DIR or the data dir to the folder "
          "holding the official release)",
          zip.string(), folder.string());
  }
  if (entries.empty()) fail("{}: the Omniglot release holds no PNG images", dir);

  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.alphabet, a.character, a.drawer) < std::tie(b.alphabet, b.character, b.drawer);
  });
  // Start of each character's run of entries, plus the end.
  std::vector<size_t> starts;
  for (size_t i = 0; i < entries.size(); ++i) {
    const bool same_character =
        i > 0 && entries[i].alphabet == entries[i - 1].alphabet && entries[i].character == entries[i - 1].character;
    if (same_character && entries[i].drawer == entries[i - 1].drawer)
      fail("{} and {}: two images of drawer {}", entries[i - 1].origin, entries[i].origin, entries[i].drawer);
    if (!same_character) starts.push_back(i);
  }
  starts.push_back(entries.size());

  std::vector<OmniglotCharacter> characters;
  auto all = torch::empty({int64_t(entries.size()), 1, image_size, image_size}, torch::kFloat32);
  // Decoding dominates the load time and runs on all threads; the tensor work runs on this thread
  // only, so LibTorch's own thread pool is never entered from several threads at once. Chunks
  // bound the memory held by decoded images that are not yet resized.
  constexpr size_t kChunk = 64;
  const size_t num_characters = starts.size() - 1;
  for (size_t c0 = 0; c0 < num_characters; c0 += kChunk) {
    const size_t c1 = std::min(num_characters, c0 + kChunk), first = starts[c0];
    std::vector<torch::Tensor> decoded(starts[c1] - first);
    parallel_over(int64_t(decoded.size()), [&](int64_t i) {
      auto& e = entries[first + size_t(i)];
      decoded[size_t(i)] = decode_png_gray(e.bytes.data(), e.bytes.size(), e.origin);
      std::vector<uint8_t>().swap(e.bytes);
    });
    for (size_t c = c0; c < c1; ++c) {
      const size_t begin = starts[c], end = starts[c + 1];
      OmniglotCharacter ch;
      ch.alphabet = entries[begin].alphabet;
      ch.character = entries[begin].character;
      ch.background = entries[begin].background;
      const auto& reference = decoded[begin - first];
      for (size_t i = begin; i < end; ++i) {
        const auto& image = decoded[i - first];
        if (!image.sizes().equals(reference.sizes()))
          fail("{}: image is {}x{}, but {} is {}x{}", entries[i].origin, image.size(0), image.size(1),
               entries[begin].origin, reference.size(0), reference.size(1));
        ch.drawers.push_back(entries[i].drawer);
      }
      auto images =
          torch::stack(std::vector<torch::Tensor>(decoded.begin() + (begin - first), decoded.begin() + (end - first)))
              .unsqueeze(1)
              .to(torch::kFloat32)
              .div_(-255.0f)
              .add_(1.0f);
      if (images.size(2) != image_size || images.size(3) != image_size)
        images = torch::nn::functional::interpolate(images, torch::nn::functional::InterpolateFuncOptions()
                                                                .size(std::vector<int64_t>{image_size, image_size})
                                                                .mode(torch::kArea));
      ch.images = all.narrow(0, int64_t(begin), int64_t(end - begin));
      ch.images.copy_(images);
      characters.push_back(std::move(ch));
    }
  }
  if (!cache.empty()) write_cache(cache, identity, characters, all);
  return Omniglot(dir, image_size, std::move(characters));
}

Omniglot::Omniglot(std::string dir, int64_t image_size, std::vector<OmniglotCharacter> characters)
    : dir_(std::move(dir)), image_size_(image_size), characters_(std::move(characters)) {
  for (size_t i = 0; i < characters_.size(); ++i) index_.emplace(characters_[i].key(), int64_t(i));
}

int64_t Omniglot::index_of(const std::string& key) const {
  const auto it = index_.find(key);
  if (it == index_.end()) fail("{}: unknown Omniglot character '{}' (expected Alphabet/characterNN)", dir_, key);
  return it->second;
}

std::vector<std::string> Omniglot::alphabets() const {
  std::vector<std::string> names;
  for (const auto& c : characters_)
    if (names.empty() || names.back() != c.alphabet) names.push_back(c.alphabet);
  return names;
}

std::vector<int64_t> Omniglot::characters_of(const std::string& alphabet) const {
  std::vector<int64_t> positions;
  for (size_t i = 0; i < characters_.size(); ++i)
    if (characters_[i].alphabet == alphabet) positions.push_back(int64_t(i));
  if (positions.empty()) fail("{}: unknown Omniglot alphabet '{}'", dir_, alphabet);
  return positions;
}

std::string vinyals_split_path(const std::string& dir, const std::string& split) {
  if (split != "train" && split != "val" && split != "test" && split != "trainval")
    fail("omniglot: unknown Vinyals split '{}' (expected train, val, test or trainval)", split);
  return (fs::path(dir) / "splits" / "vinyals" / (split + ".txt")).string();
}

std::vector<OmniglotClass> read_vinyals_split(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail("{}: cannot open Omniglot split file", path);
  std::vector<OmniglotClass> classes;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const auto last = line.rfind('/');
    const auto first = line.find('/');
    const std::string rotation = last == std::string::npos ? "" : line.substr(last + 1);
    const int degrees = rotation == "rot000"   ? 0
                        : rotation == "rot090" ? 90
                        : rotation == "rot180" ? 180
                        : rotation == "rot270" ? 270
                                               : -1;
    if (degrees < 0 || first == 0 || first == last || first + 1 == last || line.find('/', first + 1) != last)
      fail("{}:{}: expected Alphabet/characterNN/rotDDD (DDD one of 000, 090, 180, 270), got '{}'", path, number, line);
    classes.push_back({line.substr(0, last), degrees});
  }
  if (in.bad()) fail("{}: read error", path);
  if (classes.empty()) fail("{}: no classes listed", path);
  return classes;
}

torch::Tensor class_images(const Omniglot& omniglot, const OmniglotClass& c) {
  const auto& images = omniglot.at(c.character).images;
  return c.rotation_degrees == 0 ? images : torch::rot90(images, c.rotation_degrees / 90, {2, 3});
}

}  // namespace metaevo::data
