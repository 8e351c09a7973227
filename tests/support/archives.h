#pragma once
// An object's checkpoint entries (its save(OutputArchive&) and load(InputArchive&)) as bytes and
// back, for the tests that resume from a saved state.
#include <torch/torch.h>

#include <string>

#include "metaevo/core/serialize.h"

namespace metaevo::testing {

template <class T>
std::string saved_bytes(const T& object) {
  torch::serialize::OutputArchive archive;
  object.save(archive);
  return archive_bytes(archive);
}

template <class T>
void load_saved(T& object, const std::string& bytes) {
  torch::serialize::InputArchive archive;
  load_archive(archive, bytes, "test checkpoint");
  object.load(archive);
}

}  // namespace metaevo::testing
