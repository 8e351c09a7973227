// `munet`: the evolutionary agent of the single-agent system (muNet on the Ti3 root), with the
// system config's search space and mutations.
#include "metaevo/munet/agents/agent_class.h"

namespace metaevo::munet {
namespace {

class MunetAgent : public AgentClass {};

const Registrar<AgentClassRegistry> munet_agent_registration(
    "munet", [](const Config& /*block*/) { return std::make_unique<MunetAgent>(); },
    {"muNet evolution with the system config's search space and mutations", {}});

}  // namespace
}  // namespace metaevo::munet
