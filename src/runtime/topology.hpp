// The machine as hwloc reports it: cache sizes for the blocking model, cores for the default
// thread count, the CPU model for tuning records. Read once.
#pragma once

#include <cstdint>
#include <string>

namespace svertka {

struct Topology {
  int64_t l1d_bytes = 32 * 1024;    // per core
  int64_t l2_bytes = 1024 * 1024;   // per core
  int64_t l3_bytes = 2048 * 1024;   // per core: the shared cache divided among its cores
  int cores = 1;                    // cores the process may run on
  std::string cpu_model;
};

const Topology& topology();

}  // namespace svertka
