// metaevo.System: a grown muNet system loaded from its store, for inference.
#include "bridge.h"
#include "metaevo/core/runtime.h"
#include "metaevo/munet/predict.h"
#include "metaevo/munet/system_store.h"
#include "metaevo/storage/backend.h"

namespace metaevo::python {
namespace {

struct System {
  std::string location;
  std::vector<munet::TaskIteration> history;
  munet::Population population;
};

}  // namespace

void bind_munet(py::module_& m) {
  py::class_<System>(m, "System", R"(A muNet system grown by `metaevo evolve`, for inference.

System(location, device="cpu"): location is the run's system.db or the postgresql:// URL it was
stored at (the password from PGPASSWORD, ~/.pgpass or PGSERVICE).)")
      .def(py::init([](const std::string& location, const std::string& device) {
             std::vector<munet::TaskIteration> history;
             auto population = munet::load_system(location, history, parse_device(device));
             return std::make_unique<System>(System{location, std::move(history), std::move(population)});
           }),
           py::arg("location"), py::arg("device") = "cpu", py::call_guard<py::gil_scoped_release>())
      .def_property_readonly("tasks", [](const System& s) { return s.population.tasks(); })
      .def_property_readonly("parameters", [](const System& s) { return s.population.system_params(); })
      .def(
          "predict",
          [](const System& s, const std::string& task, const torch::Tensor& images) {
            torch::Tensor probabilities;
            with_context(storage::mask_password(s.location),
                         [&] { probabilities = munet::predict(s.population, task, images); });
            return probabilities;
          },
          py::arg("task"), py::arg("images"), py::call_guard<py::gil_scoped_release>(),
          "Class probabilities [N, classes] of images [N, 1, h, w] in [0, 1] (h, w <= 32) by the task's path.")
      .def("__repr__", [](const System& s) {
        return fmt::format("metaevo.System('{}', {} tasks)", storage::mask_password(s.location),
                           s.population.tasks().size());
      });
}

}  // namespace metaevo::python
