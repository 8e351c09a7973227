#include "bridge.h"

namespace metaevo::python {

py::object to_python(const nlohmann::json& value) { return py::module_::import("json").attr("loads")(value.dump()); }

nlohmann::json to_json(const py::handle& value) {
  try {
    return nlohmann::json::parse(py::str(py::module_::import("json").attr("dumps")(value)).cast<std::string>());
  } catch (const nlohmann::json::exception& e) {
    fail("cannot read {} as JSON: {}", py::str(value).cast<std::string>(), e.what());
  }
}

Config config_from(const py::dict& values, const std::string& origin) {
  return Config::parse(to_json(values).dump(), origin);
}

torch::Tensor fitness_values(const py::handle& result, int64_t n, bool batched, const char* what) {
  torch::Tensor values;
  if (THPVariable_Check(result.ptr())) {
    values = THPVariable_Unpack(result.ptr());
  } else if (!batched && (PyFloat_Check(result.ptr()) || PyLong_Check(result.ptr())) && !PyBool_Check(result.ptr())) {
    values = torch::tensor(result.cast<double>(), torch::kFloat64);
  } else {
    throw py::type_error(fmt::format("{} is a {}; expected {}", what,
                                     py::str(result.get_type().attr("__name__")).cast<std::string>(),
                                     batched ? "a floating-point torch.Tensor of shape [population]" : "a float"));
  }
  if (!values.is_floating_point())
    throw py::type_error(fmt::format("{} is a tensor of dtype {}; expected a floating-point dtype", what,
                                     c10::toString(values.scalar_type())));
  const bool shape_ok = batched ? (values.dim() == 1 && values.size(0) == n) : values.numel() == 1;
  if (!shape_ok)
    throw py::value_error(
        fmt::format("{} is a tensor of shape {}; expected {}", what, c10::str(values.sizes()),
                    batched ? fmt::format("[{}], one value per member", n) : std::string("one value")));
  return values.detach().to(torch::kCPU, torch::kFloat64).reshape({-1});
}

}  // namespace metaevo::python
