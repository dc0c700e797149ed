// ilrs_auto._core: the private extension. Each area declares its types first and defines its
// functions second, so no binding ever refers to a type that is not registered yet.
#include <pybind11/pybind11.h>

#include "bindings.h"

PYBIND11_MODULE(_core, m) {
  m.doc() = "Native core of ilrs_auto (private: use the ilrs_auto Python API).";

  ilrs::bindings::DeclarePerception(m);
  ilrs::bindings::DeclarePlanning(m);
  ilrs::bindings::DeclareSim(m);
  ilrs::bindings::DeclareVoxels(m);

  ilrs::bindings::DefinePerception(m);
  ilrs::bindings::DefinePlanning(m);
  ilrs::bindings::DefineSim(m);
  ilrs::bindings::DefineVoxels(m);
}
