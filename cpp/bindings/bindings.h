// One Declare/Define pair per area of the core; module.cpp calls every Declare before any
// Define.
#pragma once

#include <pybind11/pybind11.h>

namespace ilrs::bindings {

void DeclarePerception(pybind11::module_& m);
void DefinePerception(pybind11::module_& m);
void DeclarePlanning(pybind11::module_& m);
void DefinePlanning(pybind11::module_& m);
void DeclareSim(pybind11::module_& m);
void DefineSim(pybind11::module_& m);
void DeclareVoxels(pybind11::module_& m);
void DefineVoxels(pybind11::module_& m);

}  // namespace ilrs::bindings
