// The environment variables of the C contract, read where they take effect (plan creation).
#pragma once

#include <string>

namespace svertka {

// Value of the variable, or "" when unset.
std::string env(const char* name);

// SVERTKA_VERBOSE=1: one line on stderr per plan created and per execution.
bool verbose();
// Writes one line to stderr in one call, so lines from several threads do not interleave.
void log_line(const std::string& line);

}  // namespace svertka
