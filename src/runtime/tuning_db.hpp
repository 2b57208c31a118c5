// The tuning database: the winners svertka-tune measured, as JSON (nlohmann-json), keyed by
// what makes a measurement valid: op, problem, layout, ISA, thread count and the CPU (model
// and cache sizes). Read at plan creation from SVERTKA_TUNING_FILE, or from the default path
// $XDG_CACHE_HOME/svertka/tuning.json (~/.cache/...). A missing, corrupt, truncated, hostile or
// foreign file costs one warning and the cost model's choice, never a crash.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "../problem.hpp"
#include "topology.hpp"
#include "tuning.hpp"

namespace svertka {

struct TuningKey {
  std::string op, problem, layout, isa;
  int64_t threads = 1;
  friend auto operator<=>(const TuningKey&, const TuningKey&) = default;
};

TuningKey tuning_key(const Problem& problem, const std::string& isa, int threads);

struct TuningRecord {
  TuningKey key;
  Tuning choice;
  double seconds = 0, heuristic_seconds = 0;  // tuned and model-only, measured together
};

class TuningDb {
 public:
  // Records of this CPU; records of another CPU are kept aside (written back untouched) and
  // counted. Throws std::runtime_error with a reason for a file that cannot be trusted.
  static TuningDb parse(const std::string& text, const Topology& cpu);
  static TuningDb load(const std::filesystem::path& path, const Topology& cpu);  // "" file: empty

  const TuningRecord* find(const TuningKey& key) const;
  void merge(const TuningRecord& record);  // replaces the record of the same key
  std::string serialize(const Topology& cpu) const;
  // Writes a temporary file beside `path` and renames it over: never a half-written database.
  void save(const std::filesystem::path& path, const Topology& cpu) const;

  std::size_t size() const { return records_.size(); }
  std::size_t foreign() const { return foreign_.size(); }

 private:
  std::map<TuningKey, TuningRecord> records_;
  std::vector<std::string> foreign_;  // other CPUs' records, as JSON text
};

// SVERTKA_TUNING_FILE, else the default path.
std::filesystem::path tuning_file();

// The tuning for a problem from the database at tuning_file(), read once per path and
// modification time; a bad file is reported once on stderr and ignored.
std::optional<Tuning> lookup_tuning(const Problem& problem, const std::string& isa, int threads);

}  // namespace svertka
