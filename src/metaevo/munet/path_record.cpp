#include "metaevo/munet/path_record.h"

#include "metaevo/core/error.h"
#include "metaevo/core/serialize.h"

namespace metaevo::munet {

nlohmann::json path_record(const Path& p) {
  nlohmann::json parts = nlohmann::json::object();
  for (const auto& [name, c] : p.components) parts[name] = c->id();
  return {{"id", p.id},
          {"task", p.task},
          {"parent", p.parent ? nlohmann::json(p.parent->id) : nlohmann::json()},
          {"hparams", nlohmann::json(p.hparams)},
          {"components", parts},
          {"offsprings", p.offsprings},
          {"quality", p.quality},
          {"test_quality", p.test_quality},
          {"generation", p.generation},
          {"rates", p.rates.to_json()}};
}

PathPtr path_from_record(const nlohmann::json& record, const std::map<int64_t, ComponentPtr>& components,
                         const std::string& where) {
  auto p = std::make_shared<Path>();
  p->id = record.at("id");
  p->task = record.at("task");
  for (const auto& [k, v] : record.at("hparams").items()) p->hparams[k] = v;
  for (const auto& [name, id] : record.at("components").items()) {
    auto it = components.find(id.get<int64_t>());
    METAEVO_CHECK(it != components.end(), "{}: path {} names a missing component {}", where, p->id, id.get<int64_t>());
    p->components[name] = it->second;
  }
  p->offsprings = record.at("offsprings");
  p->quality = record.at("quality");
  p->test_quality = record.at("test_quality");
  p->generation = record.at("generation");
  const auto& rates = record.at("rates");
  if (!rates.empty()) p->rates = MutationRates::from_json(rates);
  return p;
}

std::string component_blob(const Params& tensors) {
  torch::serialize::OutputArchive archive;
  for (size_t i = 0; i < tensors.size(); ++i) archive.write(std::to_string(i), tensors[i].detach().cpu());
  return archive_bytes(archive);
}

ComponentPtr component_from_blob(int64_t id, const std::string& name, const std::string& blob, torch::Device device,
                                 const std::string& where, int64_t origin) {
  torch::serialize::InputArchive archive;
  load_archive(archive, blob, where + ": component " + std::to_string(id));
  Params tensors;
  for (int64_t i = 0;; ++i) {
    torch::Tensor t;
    if (!archive.try_read(std::to_string(i), t)) break;
    tensors.push_back(t.to(device));
  }
  return std::make_shared<Component>(id, name, std::move(tensors), origin);
}

}  // namespace metaevo::munet
