/// @file lab_self_checks.hpp
/// The CPU checks every run of the lab starts with (and the only ones without a GPU): the
/// quantiser, both packings, the repacker and the GPTQ/AWQ importers, on small odd shapes.
#pragma once

#include <functional>
#include <string>

namespace w4a16 {

/// Calls record(name, pass, detail) once per check.
void run_cpu_self_checks(const std::function<void(const std::string&, bool, const std::string&)>& record);

}  // namespace w4a16
