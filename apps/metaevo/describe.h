#pragma once
// `metaevo <command> --describe`: every option a command reads, from the registrations and options
// structs themselves: each plain section's keys, and each variation point's variants with their
// summaries and settings (key, type, default, doc). `--describe-markdown` prints the README's
// option tables, which a test checks against it.
#include <CLI/CLI.hpp>
#include <string>

namespace metaevo::cli {

/// Adds --describe and --describe-markdown to `command` (named `name`: es, tune, mlo, meta or
/// evolve). Either
/// prints and exits before any other option is checked, so --config need not be given.
void add_describe_flags(CLI::App* command, const std::string& name);

std::string describe_text(const std::string& name);
std::string describe_markdown(const std::string& name);

}  // namespace metaevo::cli
