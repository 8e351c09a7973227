// The include-graph check (scripts/check_layers.py, also a CTest test of its own) passes on the
// tree and fails on a scratch copy with one upward include added.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "metaevo/core/atomic_file.h"

namespace {

namespace fs = std::filesystem;

int check_layers(const fs::path& src, const fs::path& log) {
  const std::string command =
      "python3 " METAEVO_SOURCE_DIR "/scripts/check_layers.py '" + src.string() + "' > '" + log.string() + "' 2>&1";
  return WEXITSTATUS(std::system(command.c_str()));
}

TEST(Layers, AnUpwardIncludeFailsTheCheck) {
  const auto dir = fs::temp_directory_path() / "metaevo_layers";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path src = METAEVO_SOURCE_DIR "/src/metaevo";
  EXPECT_EQ(check_layers(src, dir / "tree.txt"), 0) << metaevo::read_file((dir / "tree.txt").string());

  const auto copy = dir / "metaevo";
  fs::copy(src, copy, fs::copy_options::recursive);
  std::ofstream(copy / "core" / "error.h", std::ios::app) << "#include \"metaevo/munet/tasks.h\"\n";
  EXPECT_EQ(check_layers(copy, dir / "upward.txt"), 1);
  const auto report = metaevo::read_file((dir / "upward.txt").string());
  EXPECT_NE(report.find("core/error.h:"), std::string::npos) << report;
  EXPECT_NE(report.find("core includes metaevo/munet/"), std::string::npos) << report;

  // A header-only dependency counts as well: an undeclared include in a header of another area.
  fs::remove_all(copy);
  fs::copy(src, copy, fs::copy_options::recursive);
  std::ofstream(copy / "hpo" / "rung.h", std::ios::app) << "#include \"metaevo/es/noise.h\"\n";
  EXPECT_EQ(check_layers(copy, dir / "undeclared.txt"), 1);
  EXPECT_NE(metaevo::read_file((dir / "undeclared.txt").string()).find("hpo includes metaevo/es/"), std::string::npos);
  fs::remove_all(dir);
}

}  // namespace
