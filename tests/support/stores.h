#pragma once
// The backends every store test runs on: a SQLite file, and a fresh database on the PostgreSQL
// server named by METAEVO_TEST_POSTGRES (scripts/test.sh starts a throwaway one). Without a server
// the PostgreSQL cases skip with a message, except under CI (CI set), where they fail.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace metaevo::testing {

inline std::string postgres_admin_url() {
  const char* url = std::getenv("METAEVO_TEST_POSTGRES");
  return url ? url : "";
}

/// A new, empty store for `backend` ("sqlite" | "postgresql"): the file `name`.db in `dir`, or a
/// database created for it on the test server. Call METAEVO_REQUIRE_BACKEND first.
inline std::string fresh_store(const std::string& backend, const std::filesystem::path& dir, const std::string& name) {
  if (backend == "sqlite") {
    std::filesystem::create_directories(dir);
    const auto path = dir / (name + ".db");
    std::filesystem::remove(path);
    return path.string();
  }
  std::string db = "t_" + std::to_string(::getpid()) + "_" + name;
  for (auto& c : db) c = std::isalnum(static_cast<unsigned char>(c)) ? char(std::tolower(c)) : '_';
  db = db.substr(0, 63);
  const auto admin = postgres_admin_url();
  const auto command = "PGOPTIONS='-c client_min_messages=warning' psql '" + admin +
                       "' -qX -v ON_ERROR_STOP=1 -c 'DROP DATABASE IF EXISTS " + db + "' -c 'CREATE DATABASE " + db +
                       "' >/dev/null";
  if (std::system(command.c_str()) != 0) ADD_FAILURE() << "cannot create database " << db << " on the test server";
  return admin.substr(0, admin.rfind('/') + 1) + db;
}

/// The test's backend parameter as a name suffix: Suite/Test/sqlite, Suite/Test/postgresql.
struct BackendName {
  std::string operator()(const ::testing::TestParamInfo<std::string>& info) const { return info.param; }
};

}  // namespace metaevo::testing

/// Skips (fails under CI) a PostgreSQL case when no test server is configured.
#define METAEVO_REQUIRE_BACKEND(backend)                                                                     \
  do {                                                                                                       \
    if ((backend) == "postgresql" && ::metaevo::testing::postgres_admin_url().empty()) {                     \
      if (std::getenv("CI")) FAIL() << "CI runs the PostgreSQL store tests: METAEVO_TEST_POSTGRES is unset"; \
      GTEST_SKIP() << "no METAEVO_TEST_POSTGRES: scripts/test.sh starts a throwaway PostgreSQL server";      \
    }                                                                                                        \
  } while (0)

#define METAEVO_BACKENDS(Suite)                                                        \
  INSTANTIATE_TEST_SUITE_P(Backends, Suite, ::testing::Values("sqlite", "postgresql"), \
                           ::metaevo::testing::BackendName())
