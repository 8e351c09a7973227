// SQLite, the embedded default: one file on this host, WAL so readers run beside the one writer,
// and a long busy timeout so writers queue for the lock instead of failing.
#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <map>

#include "metaevo/storage/backend.h"

namespace metaevo::storage {

namespace {

class SqliteBackend final : public Backend {
 public:
  explicit SqliteBackend(const std::string& location) try
      : where_(path_of(location)), db_(where_, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE, kBusyTimeoutMs) {
    db_.exec("PRAGMA journal_mode=WAL");
    db_.exec("PRAGMA synchronous=NORMAL");
    db_.exec("PRAGMA foreign_keys=ON");
  } catch (const SQLite::Exception& e) {
    // Members are gone in this handler: name the file from the argument.
    fail("{}: cannot open the database: {}", path_of(location), e.what());
  }

  Rows query(const std::string& sql, const Params& params) override {
    return guard([&] {
      auto& q = statement(sql);
      q.reset();
      q.clearBindings();
      for (size_t i = 0; i < params.size(); ++i) bind(q, int(i + 1), params[i]);
      Rows rows;
      while (q.executeStep()) {
        std::vector<Value> values;
        for (int c = 0; c < q.getColumnCount(); ++c) values.push_back(column(q.getColumn(c)));
        rows.emplace_back(std::move(values));
      }
      return rows;
    });
  }

  void script(const std::string& sql) override {
    guard([&] {
      db_.exec(with_types(sql, "INTEGER PRIMARY KEY", "INTEGER PRIMARY KEY AUTOINCREMENT", "BLOB"));
      return 0;
    });
  }

  void begin(bool write, const std::string&) override {
    guard([&] {
      // IMMEDIATE takes the write lock now, so the state read before deciding stays current.
      db_.exec(write ? "BEGIN IMMEDIATE" : "BEGIN");
      return 0;
    });
  }
  void commit() override {
    guard([&] {
      db_.exec("COMMIT");
      return 0;
    });
  }
  void rollback() noexcept override {
    if (!sqlite3_get_autocommit(db_.getHandle())) sqlite3_exec(db_.getHandle(), "ROLLBACK", nullptr, nullptr, nullptr);
  }

  std::vector<std::string> tables() override {
    std::vector<std::string> out;
    for (const auto& row :
         query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name", {}))
      out.push_back(row.text(0));
    return out;
  }
  // AUTOINCREMENT already numbers on from the largest id inserted.
  void renumber(const std::string&) override {}

  bool shared() const override { return false; }
  const std::string& where() const override { return where_; }

 private:
  static constexpr int kBusyTimeoutMs = 600000;

  static std::string path_of(const std::string& location) {
    return location.rfind("sqlite://", 0) == 0 ? location.substr(9) : location;
  }

  template <class F>
  auto guard(F&& f) -> decltype(f()) {
    try {
      return f();
    } catch (const SQLite::Exception& e) {
      const int code = e.getErrorCode() & 0xff;
      if (code == SQLITE_BUSY || code == SQLITE_LOCKED) throw Transient(e.what());
      fail("{}: {}", where_, e.what());
    }
  }

  SQLite::Statement& statement(const std::string& sql) {
    auto& q = statements_[sql];
    if (!q) q = std::make_unique<SQLite::Statement>(db_, sql);
    return *q;
  }

  static void bind(SQLite::Statement& q, int at, const Value& value) {
    std::visit(
        [&](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, std::monostate>)
            q.bind(at);
          else if constexpr (std::is_same_v<T, Blob>)
            q.bind(at, x.bytes.data(), int(x.bytes.size()));
          else
            q.bind(at, x);
        },
        value.v);
  }

  static Value column(const SQLite::Column& c) {
    switch (c.getType()) {
      case SQLITE_INTEGER:
        return c.getInt64();
      case SQLITE_FLOAT:
        return c.getDouble();
      case SQLITE_TEXT:
        return c.getString();
      case SQLITE_BLOB:
        return Blob{std::string(static_cast<const char*>(c.getBlob()), size_t(c.getBytes()))};
      default:
        return nullptr;
    }
  }

  std::string where_;
  SQLite::Database db_;
  std::map<std::string, std::unique_ptr<SQLite::Statement>> statements_;
};

const Registrar<BackendRegistry> kSqlite(
    "sqlite", [](const std::string& location) { return std::make_unique<SqliteBackend>(location); },
    VariantDoc{"a SQLite file on this host (a path, or sqlite:///path)", {}});

}  // namespace

}  // namespace metaevo::storage
