#include "metaevo/data/datasets.h"

#include <filesystem>
#include <set>

#include "metaevo/core/options.h"
#include "metaevo/data/dataset.h"

namespace metaevo::data {

void DatasetSource::check(const std::string& argument) const {
  METAEVO_CHECK(argument.empty(), "takes no argument, got '{}'", argument);
}

namespace {

struct Parsed {
  std::unique_ptr<DatasetSource> source;
  std::string type, argument;
};

/// The source of `name` and its argument; with `check`, an argument the source refuses is an Error.
Parsed parse(const std::string& name, bool check = true) {
  const auto colon = name.find(':');
  Parsed p;
  p.type = name.substr(0, colon);
  p.argument = colon == std::string::npos ? "" : name.substr(colon + 1);
  p.source = DatasetRegistry::instance().create(p.type, "data set '" + name + "'");
  if (check) with_context("data set '" + name + "'", [&] { p.source->check(p.argument); });
  return p;
}

std::string folder_of(const Parsed& p, const DataDirs& dirs) {
  const auto folder = p.source->folder();
  if (folder.empty()) return "";
  const auto it = dirs.find(folder);
  return resolve_data_dir(folder, it == dirs.end() ? "" : it->second);
}

}  // namespace

void check_dataset_name(const std::string& name) { parse(name); }

void require_dataset(const char* key, const std::string& name) {
  try {
    check_dataset_name(name);
  } catch (const Error& e) {
    throw OptionError(key, e.what());
  }
}

void check_dataset_data(const std::string& name, const DataDirs& dirs) {
  const auto p = parse(name);
  const auto dir = folder_of(p, dirs);
  METAEVO_CHECK(dir.empty() || std::filesystem::is_directory(dir), "data set '{}': no {} data at {} (set data.{})",
                name, p.source->folder(), dir, p.source->folder());
}

Splits load_dataset(const std::string& name, const DataDirs& dirs, const SplitOptions& split) {
  const auto p = parse(name);
  const auto dir = folder_of(p, dirs);
  Examples examples;
  with_context("data set '" + name + "'", [&] { examples = p.source->read(p.argument, dir); });
  return cut(std::move(examples), split, name);
}

std::vector<std::string> available_datasets(const std::string& name, const DataDirs& dirs) {
  const auto p = parse(name, false);  // "omniglot" lists its alphabets, though it needs one to load
  return p.source->available(p.type, folder_of(p, dirs));
}

void check_data_dirs(const DataDirs& dirs, const std::string& what) {
  std::set<std::string> folders;
  for (const auto& name : DatasetRegistry::instance().keys()) {
    const auto folder = DatasetRegistry::instance().create(name, what)->folder();
    if (!folder.empty()) folders.insert(folder);
  }
  for (const auto& [folder, _] : dirs)
    METAEVO_CHECK(folders.count(folder), "{}.{}: no registered data set reads a folder '{}' (folders: {})", what,
                  folder, folder, fmt::format("{}", fmt::join(folders, ", ")));
}

DataDirs data_dir_for(const std::string& name, const std::string& dir) {
  if (dir.empty()) return {};
  return {{parse(name, false).source->folder(), dir}};
}

}  // namespace metaevo::data
