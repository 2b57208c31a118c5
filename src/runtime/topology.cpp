#include "topology.hpp"

#include <hwloc.h>

#include <algorithm>

namespace svertka {
namespace {

// Size per core of the first cache of this type, or fallback when hwloc does not know it.
int64_t cache_per_core(hwloc_topology_t t, hwloc_obj_type_t type, int64_t fallback) {
  hwloc_obj_t cache = hwloc_get_obj_by_type(t, type, 0);
  if (!cache || !cache->attr || cache->attr->cache.size == 0) return fallback;
  const int sharing = std::max(1, hwloc_get_nbobjs_inside_cpuset_by_type(t, cache->cpuset,
                                                                          HWLOC_OBJ_CORE));
  return static_cast<int64_t>(cache->attr->cache.size) / sharing;
}

Topology read_topology() {
  Topology topo;
  hwloc_topology_t t = nullptr;
  if (hwloc_topology_init(&t) != 0) return topo;
  if (hwloc_topology_load(t) == 0) {
    topo.l1d_bytes = cache_per_core(t, HWLOC_OBJ_L1CACHE, topo.l1d_bytes);
    topo.l2_bytes = cache_per_core(t, HWLOC_OBJ_L2CACHE, topo.l2_bytes);
    topo.l3_bytes = cache_per_core(t, HWLOC_OBJ_L3CACHE, topo.l3_bytes);
    // Cores this process may run on (its affinity mask), not hardware threads.
    hwloc_bitmap_t allowed = hwloc_bitmap_alloc();
    if (allowed && hwloc_get_cpubind(t, allowed, HWLOC_CPUBIND_PROCESS) == 0) {
      topo.cores = std::max(1, hwloc_get_nbobjs_inside_cpuset_by_type(t, allowed, HWLOC_OBJ_CORE));
    } else {
      topo.cores = std::max(1, hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_CORE));
    }
    hwloc_bitmap_free(allowed);
    if (hwloc_obj_t package = hwloc_get_obj_by_type(t, HWLOC_OBJ_PACKAGE, 0)) {
      if (const char* model = hwloc_obj_get_info_by_name(package, "CPUModel")) {
        topo.cpu_model = model;
      }
    }
  }
  hwloc_topology_destroy(t);
  return topo;
}

}  // namespace

const Topology& topology() {
  static const Topology topo = read_topology();
  return topo;
}

}  // namespace svertka
