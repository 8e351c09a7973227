#include "metaevo/storage/database.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <thread>

namespace metaevo::storage {

namespace {
constexpr const char* kVersions = "metaevo_schema";
}

Database::Database(const std::string& location) : backend_(open_backend(location)) {}

Database::Database(const std::string& location, Schema schema)
    : backend_(open_backend(location)), schema_(std::move(schema)) {
  migrate();
}

std::optional<std::pair<std::string, int>> Database::stored_schema() {
  return read([&]() -> std::optional<std::pair<std::string, int>> {
    const auto tables = backend_->tables();
    if (std::find(tables.begin(), tables.end(), kVersions) == tables.end()) return std::nullopt;
    const auto row = one("SELECT name, version FROM metaevo_schema ORDER BY name");
    if (!row) return std::nullopt;
    return std::make_pair(row->text(0), int(row->integer(1)));
  });
}

void Database::migrate() {
  write([&] {
    const auto tables = backend_->tables();
    if (!tables.empty() && std::find(tables.begin(), tables.end(), kVersions) == tables.end())
      fail("{}: holds tables that are not a metaevo store (such as '{}'); use an empty database", where(),
           tables.front());
    backend_->script("CREATE TABLE IF NOT EXISTS metaevo_schema (name TEXT PRIMARY KEY, version BIGINT NOT NULL)");
    int version = 0;
    for (const auto& row : query("SELECT name, version FROM metaevo_schema")) {
      METAEVO_CHECK(row.text(0) == schema_.name, "{}: holds a {} store, not a {}; use another database", where(),
                    row.text(0), schema_.name);
      version = int(row.integer(1));
    }
    METAEVO_CHECK(version <= schema_.version(),
                  "{}: the {} schema there is version {}, newer than this build of metaevo reads ({}); use a newer "
                  "metaevo",
                  where(), schema_.name, version, schema_.version());
    for (int v = version; v < schema_.version(); ++v) backend_->script(schema_.migrations[size_t(v)]);
    if (version < schema_.version())
      query(
          "INSERT INTO metaevo_schema(name, version) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET version = "
          "excluded.version",
          {schema_.name, schema_.version()});
  });
}

Rows Database::query(const std::string& sql, const Params& params) {
  if (!in_transaction_) return read([&] { return backend_->query(sql, params); });
  return backend_->query(sql, params);
}

std::optional<Row> Database::one(const std::string& sql, const Params& params) {
  auto rows = query(sql, params);
  if (rows.empty()) return std::nullopt;
  return std::move(rows.front());
}

void Database::run(bool write, const std::function<void()>& body, const std::function<void()>& rewind) {
  if (in_transaction_) {
    // Nested: part of the enclosing transaction. A write inside a read is a programming error.
    if (write && !writing_) throw std::logic_error(where() + ": a write inside a read transaction");
    body();
    return;
  }
  const auto start = std::chrono::steady_clock::now();
  double wait_s = 0.05;
  for (int retries = 0;; ++retries) {
    try {
      backend_->begin(write, schema_.name);
      in_transaction_ = true;
      writing_ = write;
      body();
      backend_->commit();
      in_transaction_ = false;
      if (retries > 0) spdlog::info("{}: back; the transaction went through after {} retries", where(), retries);
      return;
    } catch (const Transient& e) {
      in_transaction_ = false;
      backend_->rollback();
      const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (waited + wait_s > give_up_s)
        throw Unavailable(fmt::format("{}: unavailable for {:.0f} s, giving up: {}", where(), waited, e.what()));
      spdlog::warn("{}: {}; retrying in {:.2f} s", where(), e.what(), wait_s);
      std::this_thread::sleep_for(std::chrono::duration<double>(wait_s));
      wait_s = std::min(wait_s * 2, 5.0);
      if (rewind) rewind();
    } catch (...) {
      in_transaction_ = false;
      backend_->rollback();
      throw;
    }
  }
}

}  // namespace metaevo::storage
