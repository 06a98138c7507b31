//===- TargetBackend.cpp - target registry --------------------------------===//
#include "compiler/Target/TargetBackend.h"

namespace hexmoe::compiler {
namespace {
std::vector<std::unique_ptr<TargetBackend>> &registry() {
  static std::vector<std::unique_ptr<TargetBackend>> targets;
  return targets;
}
} // namespace

void registerTargetBackend(std::unique_ptr<TargetBackend> target) {
  if (!lookupTargetBackend(target->name())) registry().push_back(std::move(target));
}

TargetBackend *lookupTargetBackend(llvm::StringRef name) {
  for (auto &t : registry())
    if (t->name() == name) return t.get();
  return nullptr;
}

std::vector<TargetBackend *> registeredTargetBackends() {
  std::vector<TargetBackend *> out;
  for (auto &t : registry()) out.push_back(t.get());
  return out;
}

} // namespace hexmoe::compiler
