// PostgreSQL through libpqxx, for studies and systems that several hosts share. Credentials follow
// libpq (the URL, PGPASSWORD, ~/.pgpass, PGSERVICE); only the masked URL is ever shown. A write
// transaction takes a transaction-level advisory lock named after the store before anything else,
// so writers of one store queue exactly as SQLite's BEGIN IMMEDIATE makes them, and what a writer
// reads under READ COMMITTED was committed by every writer before it.
#include <fmt/format.h>

#include <cmath>
#include <map>
#include <pqxx/pqxx>
#include <regex>

#include "metaevo/storage/backend.h"

namespace metaevo::storage {

namespace {

/// libpq's messages span lines ("...failed: ...\n\tIs the server running..."): one line for logs.
std::string one_line(const std::string& text) {
  std::string out = std::regex_replace(text, std::regex(R"(\s*\n\s*)"), "; ");
  while (!out.empty() && (out.back() == ' ' || out.back() == ';')) out.pop_back();
  return out;
}

/// `?` placeholders as PostgreSQL's $1, $2, ... (none appear inside our string literals).
std::string numbered_placeholders(const std::string& sql) {
  std::string out;
  int n = 0;
  bool quoted = false;
  for (char c : sql) {
    if (c == '\'') quoted = !quoted;
    if (c == '?' && !quoted)
      out += "$" + std::to_string(++n);
    else
      out += c;
  }
  return out;
}

/// A stable 64-bit key for pg_advisory_xact_lock (FNV-1a of the store's name).
int64_t lock_key(const std::string& name) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : name) h = (h ^ c) * 1099511628211ull;
  return int64_t(h);
}

std::string text_of(const Value& value) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, int64_t>) {
          return std::to_string(x);
        } else if constexpr (std::is_same_v<T, double>) {
          if (std::isnan(x)) return "NaN";
          if (std::isinf(x)) return x > 0 ? "Infinity" : "-Infinity";
          return fmt::format("{}", x);  // shortest text that reads back as the same double
        } else if constexpr (std::is_same_v<T, std::string>) {
          return x;
        } else if constexpr (std::is_same_v<T, Blob>) {
          static constexpr char kHex[] = "0123456789abcdef";
          std::string hex = "\\x";
          hex.reserve(2 + 2 * x.bytes.size());
          for (unsigned char c : x.bytes) {
            hex += kHex[c >> 4];
            hex += kHex[c & 15];
          }
          return hex;
        } else {
          return {};
        }
      },
      value.v);
}

Value value_of(const pqxx::field& f, pqxx::oid type) {
  if (f.is_null()) return nullptr;
  switch (type) {
    case 16:  // bool
      return f.as<bool>() ? 1 : 0;
    case 20:  // int8
    case 21:  // int2
    case 23:  // int4
    case 26:  // oid
      return f.as<int64_t>();
    case 700:   // float4
    case 701:   // float8
    case 1700:  // numeric
      return f.as<double>();
    case 17:  // bytea
      return Blob{pqxx::binarystring(f).str()};
    default:
      return std::string(f.c_str(), f.size());
  }
}

bool connection_lost(const std::string& sqlstate) {
  // Class 08: connection exception; 57P01-03: the server is shutting down or starting up;
  // 53300: too many connections; 25P03: the server ended a session left idle in a transaction.
  return sqlstate.rfind("08", 0) == 0 || sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03" ||
         sqlstate == "53300" || sqlstate == "25P03";
}

bool identifier(const std::string& name) { return std::regex_match(name, std::regex("[a-z_][a-z0-9_]*")); }

class PostgresBackend final : public Backend {
 public:
  explicit PostgresBackend(const std::string& url) : url_(url), where_(mask_password(url)) {
    try {
      connect();
    } catch (const pqxx::failure& e) {
      fail("{}: cannot connect: {}", where_, scrub(e.what()));
    }
  }

  Rows query(const std::string& sql, const Params& params) override {
    return guard([&] {
      std::vector<std::string> texts;
      std::vector<const char*> pointers;
      texts.reserve(params.size());
      for (const auto& p : params) {
        texts.push_back(text_of(p));
        pointers.push_back(p.is_null() ? nullptr : texts.back().c_str());
      }
      const auto result = work_->exec_prepared(statement(sql), pqxx::prepare::make_dynamic_params(pointers));
      Rows rows;
      rows.reserve(result.size());
      std::vector<pqxx::oid> types;
      for (pqxx::row::size_type c = 0; c < result.columns(); ++c) types.push_back(result.column_type(c));
      for (const auto& r : result) {
        std::vector<Value> values;
        values.reserve(types.size());
        for (size_t c = 0; c < types.size(); ++c) values.push_back(value_of(r[int(c)], types[c]));
        rows.emplace_back(std::move(values));
      }
      return rows;
    });
  }

  void script(const std::string& sql) override {
    guard([&] {
      work_->exec(with_types(sql, "BIGINT PRIMARY KEY", "BIGSERIAL PRIMARY KEY", "BYTEA"));
      return 0;
    });
  }

  void begin(bool write, const std::string& lock) override {
    if (broken_) {
      try {
        connect();
      } catch (const pqxx::failure& e) {
        throw Transient("cannot reconnect: " + scrub(e.what()));
      }
    }
    guard([&] {
      work_->exec(write ? "BEGIN" : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      if (write) work_->exec_params("SELECT pg_advisory_xact_lock($1)", lock_key(lock));
      return 0;
    });
  }
  void commit() override {
    guard([&] {
      work_->exec("COMMIT");
      return 0;
    });
  }
  void rollback() noexcept override {
    if (broken_) return;
    try {
      work_->exec("ROLLBACK");
    } catch (const pqxx::failure&) {
      broken_ = true;  // reconnect before the next transaction
    }
  }

  std::vector<std::string> tables() override {
    std::vector<std::string> out;
    for (const auto& row : query("SELECT table_name::text FROM information_schema.tables WHERE table_schema = "
                                 "current_schema() ORDER BY table_name",
                                 {}))
      out.push_back(row.text(0));
    return out;
  }

  void renumber(const std::string& table) override {
    METAEVO_CHECK(identifier(table), "{}: '{}' is not a table name this store uses", where_, table);
    for (const auto& row : query("SELECT column_name::text FROM information_schema.columns WHERE table_schema = "
                                 "current_schema() AND table_name = ? AND column_default LIKE 'nextval(%'",
                                 {table})) {
      const auto& column = row.text(0);
      METAEVO_CHECK(identifier(column), "{}: '{}.{}' is not a column name this store uses", where_, table, column);
      query(fmt::format("SELECT setval(pg_get_serial_sequence(?, ?), COALESCE(MAX({}), 0) + 1, false) FROM {}", column,
                        table),
            {table, column});
    }
  }

  bool shared() const override { return true; }
  const std::string& where() const override { return where_; }

 private:
  void connect() {
    work_.reset();
    conn_.reset();
    statements_.clear();
    conn_ = std::make_unique<pqxx::connection>(url_);
    work_ = std::make_unique<pqxx::nontransaction>(*conn_);
    // NOTICEs ("relation already exists, skipping") would otherwise go to stderr.
    work_->exec("SET client_min_messages = warning");
    // A client stalled inside a write transaction (SIGSTOP, a hung host) would hold the store's lock
    // for ever and every other writer with it: the server ends such a session after a minute, unless
    // the URL or the server sets a timeout of its own. The stalled client then finds its connection
    // gone, and retries the transaction on a new one.
    if (work_->exec1("SELECT current_setting('idle_in_transaction_session_timeout')")[0].as<std::string>() == "0")
      work_->exec("SET idle_in_transaction_session_timeout = '60s'");
    broken_ = false;
  }

  /// One line, with the URL's password, should libpq ever repeat it, replaced.
  std::string scrub(const std::string& message) const { return without_password(one_line(message), url_); }

  template <class F>
  auto guard(F&& f) -> decltype(f()) {
    try {
      return f();
    } catch (const pqxx::broken_connection& e) {
      broken_ = true;
      throw Transient("lost the connection: " + scrub(e.what()));
    } catch (const pqxx::in_doubt_error& e) {
      broken_ = true;
      throw Transient("lost the connection while committing: " + scrub(e.what()));
    } catch (const pqxx::transaction_rollback& e) {
      throw Transient("the server asked for a retry: " + scrub(e.what()));
    } catch (const pqxx::sql_error& e) {
      if (connection_lost(e.sqlstate())) {
        broken_ = true;
        throw Transient("lost the connection: " + scrub(e.what()));
      }
      fail("{}: {}", where_, scrub(e.what()));
    } catch (const pqxx::failure& e) {
      if (!conn_->is_open()) {
        broken_ = true;
        throw Transient("lost the connection: " + scrub(e.what()));
      }
      fail("{}: {}", where_, scrub(e.what()));
    }
  }

  const std::string& statement(const std::string& sql) {
    auto it = statements_.find(sql);
    if (it == statements_.end()) {
      const auto name = "s" + std::to_string(statements_.size());
      conn_->prepare(name, numbered_placeholders(sql));
      it = statements_.emplace(sql, name).first;
    }
    return it->second;
  }

  std::string url_, where_;
  std::unique_ptr<pqxx::connection> conn_;
  std::unique_ptr<pqxx::nontransaction> work_;
  std::map<std::string, std::string> statements_;
  bool broken_ = false;
};

const Registrar<BackendRegistry> kPostgres(
    "postgresql", [](const std::string& url) { return std::make_unique<PostgresBackend>(url); },
    VariantDoc{"a PostgreSQL server several hosts share (postgresql://user@host:port/db)", {}});

}  // namespace

}  // namespace metaevo::storage
