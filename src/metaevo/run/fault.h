#pragma once
// Crash points for the kill-and-resume tests: with METAEVO_CRASH_AT=<point>:<n> in the environment,
// the n-th pass through crash_point(<point>) ends the process with SIGKILL, exactly as `kill -9`
// would there. Points: "checkpoint" (just after a checkpoint is written) and "metrics" (half-way
// through writing a metrics line: the line is left torn), and for `metaevo grow` "expanding" (half-way
// through an expansion: the model grown, its optimizer state not) and "expanded" (just after a
// scheduled growth, before the next checkpoint). METAEVO_STOP_AT=<point>:<n> instead stops the
// process there with SIGSTOP, so that a test can stall it at a known place rather than wherever a
// signal from outside happens to land. Without either variable it does nothing.
namespace metaevo::run {

/// Counts a pass through `point`; kills (or stops) the process on the configured pass.
void crash_point(const char* point);
/// Whether the next pass through `point` is the configured one (for writers that must first
/// leave a torn record).
bool crash_due(const char* point);

}  // namespace metaevo::run
