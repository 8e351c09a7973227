#pragma once
// Recorded learning curves: for each configuration, the value, test score and seconds of every
// epoch, as measured by real runs. Schedulers replay them in simulated time, so comparing them
// over many seeds takes seconds instead of days and gives the same answer on every machine.
#include <string>
#include <vector>

#include "metaevo/hpo/space.h"

namespace metaevo::hpo {

struct CurveTable {
  struct Row {
    Assignment config;
    std::vector<double> value, test, seconds;  // per epoch, index 0 = epoch 1
  };
  std::string source;  // how it was made (command, objective)
  bool maximize = true;
  int epochs = 0;
  std::vector<Row> rows;

  /// JSON file; every row must have `epochs` finite values. Errors name the file and row.
  static CurveTable load(const std::string& path);
  void save(const std::string& path) const;
};

}  // namespace metaevo::hpo
