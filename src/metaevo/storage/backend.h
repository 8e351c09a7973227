#pragma once
// One connection to a database, in the narrow terms the stores need: statements with `?`
// parameters, transactions that hold the store's one write lock, the dialect's column types, and
// reconnection. A backend is one file plus a registration under its URL scheme.
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "metaevo/core/registry.h"
#include "metaevo/storage/value.h"

namespace metaevo::storage {

/// A failure that may pass: a lost connection, a server restarting, a serialization failure or a
/// lock held too long. Database rolls back, waits and runs the transaction again.
class Transient : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Backend {
 public:
  virtual ~Backend() = default;

  /// Runs one statement; `?` marks each parameter, in order. Statements are prepared once per
  /// connection and reused.
  virtual Rows query(const std::string& sql, const Params& params) = 0;
  /// Runs statements without parameters (schema changes); `{key}` (an integer primary key the
  /// caller numbers), `{serial}` (one the database numbers) and `{blob}` become the dialect's types.
  virtual void script(const std::string& sql) = 0;

  /// A write transaction holds the lock named `lock` (one per store) from its first statement, so
  /// what it reads stays current until it commits; a read transaction sees one snapshot. begin()
  /// first reopens a connection lost earlier, and throws Transient while it cannot.
  virtual void begin(bool write, const std::string& lock) = 0;
  virtual void commit() = 0;
  virtual void rollback() noexcept = 0;

  /// The tables of the database (of the current schema on a server).
  virtual std::vector<std::string> tables() = 0;
  /// After rows were copied in with their own ids: `{serial}` columns number on from the largest.
  virtual void renumber(const std::string& table) = 0;

  /// True for a server that several hosts reach; false for a file on this host.
  virtual bool shared() const = 0;
  /// The database as it may be shown in logs and errors: a path, or a URL without its password.
  virtual const std::string& where() const = 0;
};

/// Backends by URL scheme ("sqlite", "postgresql"); the argument is the location as given.
using BackendRegistry = Registry<Backend, const std::string&>;

/// `location` is a URL (postgresql://user@host:port/db, postgres://..., sqlite:///path) or a path
/// to a SQLite file. A connection that fails here is an Error naming the location (password
/// masked): nothing is retried before the first connection succeeds.
std::unique_ptr<Backend> open_backend(const std::string& location);

/// `sql` with the schema tokens of Backend::script replaced by a dialect's types.
std::string with_types(std::string sql, const std::string& key, const std::string& serial, const std::string& blob);

/// `url` with any password replaced by "***".
std::string mask_password(const std::string& url);
/// `message` with every occurrence of `url`'s password replaced by "***".
std::string without_password(std::string message, const std::string& url);

}  // namespace metaevo::storage
