#pragma once
// The real Omniglot release for tests: located like the CLI does, loaded once per test process,
// and skipped with a clear message when absent.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

#include "data_dirs.h"
#include "metaevo/data/omniglot.h"

namespace metaevo::testing {

inline std::string omniglot_dir() { return data_dir("omniglot", METAEVO_SOURCE_DIR "/../shared/data/omniglot"); }

inline bool has_omniglot() {
  namespace fs = std::filesystem;
  const fs::path dir = omniglot_dir();
  return fs::exists(dir / "images_background.zip") || fs::is_directory(dir / "images_background");
}

// Loaded once per process: several tests share it.
inline const data::Omniglot& omniglot() {
  static const data::Omniglot o = [] {
    const auto start = std::chrono::steady_clock::now();
    auto loaded = data::Omniglot::load(omniglot_dir());
    std::cout << "[ info     ] loaded Omniglot (1623 characters, 28x28) in "
              << std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() << " s\n";
    return loaded;
  }();
  return o;
}

}  // namespace metaevo::testing

#define SKIP_WITHOUT_OMNIGLOT()                                                                        \
  if (!metaevo::testing::has_omniglot())                                                               \
  GTEST_SKIP() << "Omniglot release not found in " << metaevo::testing::omniglot_dir()                 \
               << " (images_background.zip or images_background/; set METAEVO_DATA_DIR to the folder " \
                  "holding omniglot/)"
