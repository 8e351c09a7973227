// Reading what any run folder holds: its metrics log and result files.
#include <filesystem>

#include "bridge.h"
#include "metaevo/dist/communicator.h"
#include "metaevo/run/metrics_log.h"

namespace metaevo::python {

void bind_run(py::module_& m) {
  m.def(
      "world", [] { return py::make_tuple(dist::world().rank(), dist::world().size()); },
      "(rank, size) of this process's job: under mpirun its MPI rank and the number of processes, else (0, 1).");
  m.def("mpi_built", &dist::mpi_built, "Whether this build has the MPI backend (CMake option METAEVO_MPI).");
  m.def(
      "read_metrics",
      [](const std::string& path) {
        namespace fs = std::filesystem;
        const auto file = fs::is_directory(path) ? (fs::path(path) / "metrics.jsonl").string() : path;
        METAEVO_CHECK(fs::exists(file), "{}: no metrics log here (expected {})", path, file);
        const auto metrics = run::read_metrics(file);
        py::list records;
        for (const auto& r : metrics.records) records.append(to_python(r));
        py::dict out;
        out["x"] = metrics.x_key;
        out["records"] = records;
        return out;
      },
      py::arg("path"),
      R"(The metrics log of a run folder (or a metrics.jsonl file) of any command: {"x": the x axis
("generation", "iteration", ...), "records": one dict per step}. Lines torn by a kill are skipped.)");
}

}  // namespace metaevo::python
