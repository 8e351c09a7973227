#pragma once
// The data set registry: every capability (es, tune, mlo, meta, muNet tasks) reads data by name
// through it, so a new data set is one registration. A name is "source" or "source:argument",
// e.g. "mnist", "mnist-rot:90", "omniglot:Greek", "omniglot-vinyals".
#include <map>
#include <string>
#include <vector>

#include "metaevo/core/registry.h"
#include "metaevo/data/splits.h"

namespace metaevo::data {

/// Data folders by folder name ("mnist", "fashion-mnist", "omniglot", or a registered source's);
/// an absent or empty entry takes resolve_data_dir's search order.
using DataDirs = std::map<std::string, std::string>;

class DatasetSource {
 public:
  virtual ~DatasetSource() = default;
  /// The folder it reads, as named in DataDirs; empty for generated data.
  virtual std::string folder() const = 0;
  /// Refuses an argument this source cannot take, reading no data (by default: any argument).
  virtual void check(const std::string& argument) const;
  /// The examples of data set `argument`, read from `dir` (resolved; empty for generated data).
  virtual Examples read(const std::string& argument, const std::string& dir) const = 0;
  /// Every data set of this source the folder offers (e.g. one per Omniglot alphabet).
  virtual std::vector<std::string> available(const std::string& source, const std::string& dir) const {
    return {source};
  }
};

using DatasetRegistry = Registry<DatasetSource>;

/// Data set `name`, cut by `split`; an Error naming it if unknown, its argument is refused or its
/// data is absent.
Splits load_dataset(const std::string& name, const DataDirs& dirs, const SplitOptions& split = {});
/// Checks `name` without reading data: a registered source and an argument it takes.
void check_dataset_name(const std::string& name);
/// check_dataset_name for an options struct's validate(): its Error as an OptionError on `key`.
void require_dataset(const char* key, const std::string& name);
/// Checks that the folder of data set `name` is in place, without reading it.
void check_dataset_data(const std::string& name, const DataDirs& dirs);
/// Every data set that `name`'s source offers ("omniglot" lists its alphabets).
std::vector<std::string> available_datasets(const std::string& name, const DataDirs& dirs);
/// Refuses an entry of `dirs` that no registered source reads (a misspelt folder name); `what`
/// names the setting in the error.
void check_data_dirs(const DataDirs& dirs, const std::string& what);
/// The folder name of data set `name`, for a one-folder DataDirs (a `data_dir` option).
DataDirs data_dir_for(const std::string& name, const std::string& dir);

}  // namespace metaevo::data
