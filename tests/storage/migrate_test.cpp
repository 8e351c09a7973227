// metaevo storage migrate: a study from SQLite to PostgreSQL and back, read the same everywhere;
// the server numbers new events after the copied ones; a non-empty destination is refused.
#include <gtest/gtest.h>

#include "../support/process.h"
#include "../support/studies.h"

namespace metaevo::hpo {
namespace {

namespace fs = std::filesystem;

TEST(StorageMigrate, AStudyMovesToPostgresqlAndBackUnchanged) {
  METAEVO_REQUIRE_BACKEND(std::string("postgresql"));
  const auto dir = testing::fresh_dir("migrate");
  const auto table = testing::write_curves(testing::synthetic_curves(20, 9, 0.02), (dir / "curves.json").string());
  const auto config = testing::study_config(dir, table, 0, 20);
  const auto original = testing::fresh_store("sqlite", dir, "original");
  ASSERT_EQ(testing::run_cli({"tune", "--config", config, "--output", (dir / "o").string(), "--storage", original}), 0);
  const auto server = testing::fresh_store("postgresql", dir, "migrated");
  const auto back = testing::fresh_store("sqlite", dir, "back");
  ASSERT_EQ(testing::run_cli({"storage", "migrate", "--from", original, "--to", server}), 0);
  ASSERT_EQ(testing::run_cli({"storage", "migrate", "--from", server, "--to", back}), 0);
  // Into a database that already holds the study: refused.
  EXPECT_EQ(testing::run_cli({"storage", "migrate", "--from", original, "--to", server}), 2);

  Store a(original), b(server), c(back);
  const auto rows = testing::results(a);
  ASSERT_FALSE(rows.empty());
  for (Store* other : {&b, &c}) {
    const auto copied = testing::results(*other);
    ASSERT_EQ(copied.size(), rows.size());
    for (size_t i = 0; i < rows.size(); ++i) {
      EXPECT_TRUE(copied[i] == rows[i]) << "result " << i;
      EXPECT_EQ(copied[i].worker, rows[i].worker);
    }
    EXPECT_EQ(other->setting("fingerprint"), a.setting("fingerprint"));
    EXPECT_EQ(other->events_after(0).back().id, a.events_after(0).back().id);
  }
  // The server numbers on after the copied events.
  const auto last = b.events_after(0).back().id;
  Event e;
  e.trial = 1;
  e.kind = "fail";
  e.worker = "check";
  EXPECT_GT(b.write([&] { return b.append(e); }), last);
}

}  // namespace
}  // namespace metaevo::hpo
