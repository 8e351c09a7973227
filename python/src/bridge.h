#pragma once
// What every binding shares: JSON to and from Python objects, keyword arguments as a config
// section, and calling back into Python from engine code that runs without the GIL.
#include <torch/extension.h>

#include <nlohmann/json.hpp>
#include <string>

#include "metaevo/core/config.h"

namespace metaevo::python {

namespace py = pybind11;

py::object to_python(const nlohmann::json& value);
nlohmann::json to_json(const py::handle& value);

/// `values` (a dict, from keyword arguments) as a config section; `origin` names it in errors, so
/// a misspelt keyword is an Error naming it (Config::check_all_used).
Config config_from(const py::dict& values, const std::string& origin);

/// Runs `call` holding the GIL, first letting Python handle a pending signal: Ctrl-C (a
/// KeyboardInterrupt, raised there or inside `call`) becomes metaevo::Interrupted, which long
/// loops answer by saving a checkpoint; any other Python exception goes on as itself, traceback
/// included (pybind11 raises it again when it leaves the engine).
template <class F>
auto call_python(F&& call) {
  py::gil_scoped_acquire gil;
  try {
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
    return call();
  } catch (py::error_already_set& e) {
    if (e.matches(PyExc_KeyboardInterrupt)) throw Interrupted();
    throw;
  }
}

/// A Python fitness result as float64 [n] on the CPU: a tensor of that shape, or (for one member)
/// a Python number or a 0-d/one-element tensor. Anything else is a TypeError or ValueError that
/// names `what` ("the fitness function's result"). NaN is allowed: it ranks last (es::Strategy::utility).
torch::Tensor fitness_values(const py::handle& result, int64_t n, bool batched, const char* what);

void bind_es(py::module_& m);
void bind_run(py::module_& m);
void bind_tune(py::module_& m);
void bind_munet(py::module_& m);
void bind_bench(py::module_& m);

}  // namespace metaevo::python
