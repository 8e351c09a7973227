// The README's option tables are the registrations' own docs: each `<!-- describe CMD POINT -->`
// table must equal what `metaevo CMD --describe-markdown` prints for it, and every table that
// command prints must be in the README. On a mismatch the expected table is printed, to paste.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <sstream>
#include <string>

#include "metaevo/core/atomic_file.h"

namespace {

std::string command_output(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return out;
  char buffer[4096];
  for (size_t n; (n = fread(buffer, 1, sizeof(buffer), pipe)) > 0;) out.append(buffer, n);
  EXPECT_EQ(pclose(pipe), 0) << command;
  return out;
}

/// Marker line -> the table lines after it (up to the first line that is not a table row).
std::map<std::string, std::string> tables(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  std::string line, marker;
  while (std::getline(in, line)) {
    if (line.rfind("<!-- describe ", 0) == 0) {
      marker = line;
      out[marker];
    } else if (!marker.empty() && line.rfind("|", 0) == 0) {
      out[marker] += line + "\n";
    } else {
      marker.clear();
    }
  }
  return out;
}

class ReadmeOptionTables : public ::testing::TestWithParam<std::string> {};

TEST_P(ReadmeOptionTables, MatchTheRegistrations) {
  const auto expected = tables(command_output(std::string(METAEVO_BINARY) + " " + GetParam() + " --describe-markdown"));
  ASSERT_FALSE(expected.empty());
  const auto readme = tables(metaevo::read_file(METAEVO_SOURCE_DIR "/README.md"));
  for (const auto& [marker, table] : expected) {
    const auto it = readme.find(marker);
    if (it == readme.end()) {
      ADD_FAILURE() << "README.md lacks this table:\n" << marker << "\n" << table;
      continue;
    }
    EXPECT_EQ(it->second, table) << "README.md's table is stale; the registrations say:\n" << marker << "\n" << table;
  }
  const std::string prefix = "<!-- describe " + GetParam() + " ";
  for (const auto& [marker, _] : readme) {
    if (marker.rfind(prefix, 0) == 0) {
      EXPECT_TRUE(expected.count(marker)) << "README.md has an unknown table " << marker;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(EveryDescribedCommand, ReadmeOptionTables, ::testing::Values("es", "tune", "mlo"));

class Describe : public ::testing::TestWithParam<std::pair<std::string, std::string>> {};

// Without --config, every command that runs a config prints its options and a key it reads.
TEST_P(Describe, PrintsEveryOptionWithoutAConfig) {
  const auto& [command, key] = GetParam();
  const auto text = command_output(std::string(METAEVO_BINARY) + " " + command + " --describe");
  EXPECT_NE(text.find("metaevo " + command + ": every option"), std::string::npos) << text;
  EXPECT_NE(text.find(key), std::string::npos) << text;
}

INSTANTIATE_TEST_SUITE_P(EveryRunCommand, Describe,
                         ::testing::Values(std::pair{"es", "low_rank"}, std::pair{"tune", "max_trials"},
                                           std::pair{"mlo", "unroll_steps"}, std::pair{"meta", "val_episodes"},
                                           std::pair{"evolve", "mutate_num_layers"}, std::pair{"grow", "test_curve"},
                                           std::pair{"route", "probs_init"}, std::pair{"route", "cotrain_steps"},
                                           std::pair{"agent", "max_population"}));

}  // namespace
