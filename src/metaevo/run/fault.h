#pragma once
// Crash points for the kill-and-resume tests: with METAEVO_CRASH_AT=<point>:<n> in the environment,
// the n-th pass through crash_point(<point>) ends the process with SIGKILL, exactly as `kill -9`
// would there. Points: "checkpoint" (just after a checkpoint is written) and "metrics" (half-way
// through writing a metrics line: the line is left torn), and for `metaevo grow` "expanding" (half-way
// through an expansion: the model grown, its optimizer state not) and "expanded" (just after a
// scheduled growth, before the next checkpoint). Without the variable it does nothing.
namespace metaevo::run {

/// Counts a pass through `point`; kills the process on the configured pass.
void crash_point(const char* point);
/// Whether the next pass through `point` is the configured one (for writers that must first
/// leave a torn record).
bool crash_due(const char* point);

}  // namespace metaevo::run
