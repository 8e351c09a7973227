// The extension module behind `import metaevo` (python/metaevo/__init__.py re-exports it).
#include "bridge.h"

PYBIND11_MODULE(_metaevo, m) {
  namespace py = pybind11;
  m.doc() = "metaevo: evolution strategies, tuning, multilevel optimization and muNet systems on LibTorch";
  // A bad setting, file or checkpoint: the one-line message the CLI prints.
  py::register_exception<metaevo::Error>(m, "Error", PyExc_ValueError);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const metaevo::Interrupted&) {
      PyErr_SetNone(PyExc_KeyboardInterrupt);
    }
  });
  metaevo::python::bind_es(m);
  metaevo::python::bind_run(m);
  metaevo::python::bind_tune(m);
  metaevo::python::bind_munet(m);
  metaevo::python::bind_bench(m);
}
