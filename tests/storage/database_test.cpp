// The storage layer on each backend: values round-trip exactly, schemas migrate and a newer one is
// refused, other stores and foreign tables are refused, a failed transaction leaves nothing, and
// concurrent writers serialise on the store's write lock, and (PostgreSQL) a writer stalled inside
// its transaction is cut off rather than holding every other. Bad locations give one-line errors that
// never show a password.
#include "metaevo/storage/database.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <thread>

#include "../support/stores.h"

namespace metaevo::storage {
namespace {

namespace fs = std::filesystem;

class DatabaseTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { METAEVO_REQUIRE_BACKEND(GetParam()); }
  std::string fresh(const std::string& name) {
    return testing::fresh_store(GetParam(), fs::temp_directory_path() / ("metaevo_storage_" + GetParam()), name);
  }
};

const Schema kV1{"test-store", {"CREATE TABLE items (id {key}, x TEXT, n BIGINT, r DOUBLE PRECISION, b {blob});"}};
const Schema kV2{"test-store", {kV1.migrations[0], "ALTER TABLE items ADD COLUMN y BIGINT NOT NULL DEFAULT 7;"}};

std::string every_byte() {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes += char(i);
  return bytes + std::string(3, '\0');
}

TEST_P(DatabaseTest, ValuesRoundTripExactly) {
  Database db(fresh("values"), kV1);
  const std::string hostile = "it's \"quoted\"; DROP TABLE items; -- ? $1 \\x00 é";
  const double tiny = std::numeric_limits<double>::denorm_min();
  db.write([&] {
    db.query("INSERT INTO items(id, x, n, r, b) VALUES (?, ?, ?, ?, ?)",
             {1, hostile, std::numeric_limits<int64_t>::min(), 0.1, Blob{every_byte()}});
    db.query("INSERT INTO items(id, x, n, r, b) VALUES (?, ?, ?, ?, ?)",
             {2, "", std::numeric_limits<int64_t>::max(), tiny, Blob{""}});
    db.query("INSERT INTO items(id, x, n, r, b) VALUES (?, ?, ?, ?, ?)", {3, nullptr, nullptr, M_PI, nullptr});
  });
  const auto rows = db.query("SELECT id, x, n, r, b FROM items ORDER BY id");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].text(1), hostile);
  EXPECT_EQ(rows[0].integer(2), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(rows[0].real(3), 0.1);
  EXPECT_EQ(rows[0].blob(4), every_byte());
  EXPECT_EQ(rows[1].text(1), "");
  EXPECT_EQ(rows[1].integer(2), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(rows[1].real(3), tiny);
  EXPECT_EQ(rows[1].blob(4), "");
  EXPECT_TRUE(rows[2].is_null(1) && rows[2].is_null(2) && rows[2].is_null(4));
  EXPECT_EQ(rows[2].real(3), M_PI);
  // The hostile text was data, not SQL: the table is still there, and found by equality.
  EXPECT_EQ(db.one("SELECT id FROM items WHERE x = ?", {hostile})->integer(0), 1);
  EXPECT_THROW(rows[0].integer(1), Error);  // text read as an integer names the column
}

TEST_P(DatabaseTest, MigratesForwardAndRefusesANewerSchema) {
  const auto location = fresh("migrate");
  {
    Database db(location, kV1);
    db.write([&] { db.query("INSERT INTO items(id, x) VALUES (?, ?)", {1, "kept"}); });
  }
  {
    Database db(location, kV2);
    const auto row = db.one("SELECT x, y FROM items WHERE id = 1");
    EXPECT_EQ(row->text(0), "kept");
    EXPECT_EQ(row->integer(1), 7);
    EXPECT_EQ(db.stored_schema(), std::make_pair(std::string("test-store"), 2));
    db.write([&] { db.query("UPDATE metaevo_schema SET version = 99"); });
  }
  try {
    Database db(location, kV2);
    FAIL() << "a newer schema was opened";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("version 99"), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

TEST_P(DatabaseTest, RefusesAnotherStoreAndForeignTables) {
  const auto location = fresh("kinds");
  { Database db(location, kV1); }
  EXPECT_THROW(Database(location, Schema{"other-store", {"CREATE TABLE other (id {key});"}}), Error);
  const auto foreign = fresh("foreign");
  {
    Database raw(foreign);
    raw.write([&] { raw.backend().script("CREATE TABLE studies (study_id BIGINT);"); });
  }
  try {
    Database db(foreign, kV1);
    FAIL() << "a database of another program was taken over";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not a metaevo store"), std::string::npos) << e.what();
  }
}

TEST_P(DatabaseTest, AFailedTransactionLeavesNothing) {
  Database db(fresh("rollback"), kV1);
  EXPECT_THROW(db.write([&] {
    db.query("INSERT INTO items(id, x) VALUES (?, ?)", {1, "half"});
    fail("the body's own failure");
  }),
               Error);
  EXPECT_EQ(db.one("SELECT COUNT(*) FROM items")->integer(0), 0);
  db.write([&] { db.query("INSERT INTO items(id, x) VALUES (?, ?)", {1, "whole"}); });
  EXPECT_EQ(db.one("SELECT x FROM items")->text(0), "whole");
}

TEST_P(DatabaseTest, WritersOnSeveralConnectionsSerialise) {
  const auto location = fresh("counter");
  {
    Database db(location, kV1);
    db.write([&] { db.query("INSERT INTO items(id, n) VALUES (1, 0)"); });
  }
  // Read, then write what was read plus one: without the write lock increments would be lost.
  constexpr int kThreads = 4, kEach = 50;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      Database db(location, kV1);
      for (int i = 0; i < kEach; ++i)
        db.write([&] {
          const auto n = db.one("SELECT n FROM items WHERE id = 1")->integer(0);
          db.query("UPDATE items SET n = ? WHERE id = 1", {n + 1});
        });
    });
  for (auto& t : threads) t.join();
  Database db(location, kV1);
  EXPECT_EQ(db.one("SELECT n FROM items WHERE id = 1")->integer(0), kThreads * kEach);
}

METAEVO_BACKENDS(DatabaseTest);

// PostgreSQL only: a SQLite file's lock belongs to the stalled process, and nothing can take it back.
TEST(PostgresStall, AWriterStalledInsideItsTransactionIsCutOffAndRetriesOnANewConnection) {
  METAEVO_REQUIRE_BACKEND(std::string("postgresql"));
  const auto base = testing::fresh_store("postgresql", {}, "stall");
  {
    Database db(base, kV1);
    EXPECT_EQ(db.one("SELECT current_setting('idle_in_transaction_session_timeout')")->text(0), "1min")
        << "the default that keeps a stalled client from holding the store";
  }
  // A short timeout from the URL, as libpq passes options, so the test need not wait a minute.
  const auto location = base + "?options=-c%20idle_in_transaction_session_timeout%3D500";
  std::atomic<int> attempts{0};
  std::atomic<bool> inside{false}, woke{false};
  std::thread stalled([&] {
    Database db(location, kV1);
    db.write([&] {
      db.query("INSERT INTO items(id, x) VALUES (1, 'stalled')");
      if (attempts++ > 0) return;
      inside = true;
      std::this_thread::sleep_for(std::chrono::seconds(5));  // holding the write lock, silent
      woke = true;
    });
  });
  while (!inside) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  Database other(location, kV1);
  other.write([&] { other.query("INSERT INTO items(id, x) VALUES (2, 'other')"); });
  EXPECT_FALSE(woke) << "the other writer waited for the stalled one to wake";
  stalled.join();
  EXPECT_EQ(attempts, 2) << "the stalled writer's first transaction should have been cut off and retried";
  const auto rows = other.query("SELECT id, x FROM items ORDER BY id");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].text(1), "stalled");
  EXPECT_EQ(rows[1].text(1), "other");
}

TEST(StorageLocation, PasswordsAreMasked) {
  EXPECT_EQ(mask_password("postgresql://ann:s3cr%40t@db.example:5433/hpo"), "postgresql://ann:***@db.example:5433/hpo");
  EXPECT_EQ(mask_password("postgresql://ann@db/hpo?sslmode=require&password=x1"),
            "postgresql://ann@db/hpo?sslmode=require&password=***");
  EXPECT_EQ(mask_password("postgresql://ann@db/hpo"), "postgresql://ann@db/hpo");
  EXPECT_EQ(mask_password("runs/tune/study.db"), "runs/tune/study.db");
  EXPECT_EQ(without_password("FATAL: s3cr%40t and x1 rejected", "postgresql://ann:s3cr%40t@db/hpo?password=x1"),
            "FATAL: *** and *** rejected");
}

/// The message of the Error that opening `location` throws ("" if none).
std::string open_error(const std::string& location) {
  try {
    Database db(location, kV1);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(StorageLocation, BadLocationsGiveOneLineErrorsWithoutThePassword) {
  // Port 1 on localhost: nothing listens there.
  const auto unreachable = open_error("postgresql://ann:hunter2@127.0.0.1:1/hpo?connect_timeout=5");
  EXPECT_NE(unreachable.find("postgresql://ann:***@127.0.0.1:1/hpo"), std::string::npos) << unreachable;
  EXPECT_EQ(unreachable.find("hunter2"), std::string::npos) << unreachable;
  EXPECT_EQ(unreachable.find('\n'), std::string::npos) << unreachable;
  EXPECT_NE(open_error("mysql://db/hpo").find("unknown 'mysql'"), std::string::npos);
  EXPECT_NE(open_error("/nonexistent-folder/study.db").find("/nonexistent-folder/study.db"), std::string::npos);
}

TEST(StorageLocation, WrongCredentialsGiveAOneLineError) {
  METAEVO_REQUIRE_BACKEND(std::string("postgresql"));
  auto url = testing::postgres_admin_url();
  url.replace(url.find("://metaevo@") + 3, 7, "metaevo:not-the-password");
  const auto message = open_error(url);
  EXPECT_NE(message.find("password authentication failed"), std::string::npos) << message;
  EXPECT_EQ(message.find("not-the-password"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

}  // namespace
}  // namespace metaevo::storage
