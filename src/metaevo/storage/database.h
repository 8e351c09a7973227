#pragma once
// A store's database: a backend, the store's schema brought up to date, and transactions that
// survive a server restart. A capability describes its tables as a Schema (a list of migrations)
// and runs every decision inside write(): one transaction holding the store's write lock,
// rolled back and run again (after `rewind`) when the connection drops or the database asks for a
// retry, so a body must take everything it decides on from inside the transaction. A worker
// killed inside a transaction leaves nothing of it behind.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "metaevo/core/error.h"
#include "metaevo/storage/backend.h"

namespace metaevo::storage {

/// The tables of one kind of store. migrations[v] takes the schema from version v to v + 1; the
/// version reached is kept in the table metaevo_schema, one row per store.
struct Schema {
  std::string name;  // "hpo-study", "munet-system": its version row and its write lock
  std::vector<std::string> migrations;
  int version() const { return int(migrations.size()); }
};

/// The database stayed unreachable for longer than Database::give_up_s (its message names the
/// store, password masked, and the last failure).
class Unavailable : public Error {
 public:
  using Error::Error;
};

class Database {
 public:
  /// Opens `location` (backend.h) and creates or migrates `schema`'s tables. An Error names the
  /// location when the database is newer than this build, or holds a store of another kind, or
  /// other tables altogether.
  Database(const std::string& location, Schema schema);
  /// Opens whatever store `location` holds without changing it (copying, inspection).
  explicit Database(const std::string& location);

  const std::string& where() const { return backend_->where(); }
  bool shared() const { return backend_->shared(); }
  /// The store kind and schema version the database holds; nullopt when it holds none.
  std::optional<std::pair<std::string, int>> stored_schema();
  Backend& backend() { return *backend_; }
  const Schema& schema() const { return schema_; }

  template <class F>
  auto write(F&& body, const std::function<void()>& rewind = {}) -> decltype(body()) {
    return transact(true, std::forward<F>(body), rewind);
  }
  /// One consistent snapshot for several reads.
  template <class F>
  auto read(F&& body) -> decltype(body()) {
    return transact(false, std::forward<F>(body), {});
  }

  /// One statement; outside a transaction it runs as its own read (or retried write) transaction.
  Rows query(const std::string& sql, const Params& params = {});
  /// The first row, if any.
  std::optional<Row> one(const std::string& sql, const Params& params = {});

  /// How long a transaction is retried while the database is unreachable.
  double give_up_s = 600;

 private:
  template <class F>
  auto transact(bool write, F&& body, const std::function<void()>& rewind) -> decltype(body()) {
    if constexpr (std::is_void_v<decltype(body())>) {
      run(write, body, rewind);
    } else {
      std::optional<decltype(body())> out;
      run(
          write, [&] { out = body(); }, rewind);
      return std::move(*out);
    }
  }
  void run(bool write, const std::function<void()>& body, const std::function<void()>& rewind);
  void migrate();

  std::unique_ptr<Backend> backend_;
  Schema schema_;
  bool in_transaction_ = false, writing_ = false;
};

}  // namespace metaevo::storage
