#include "tuning_db.hpp"

#include <nlohmann/json.hpp>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>

#include "environment.hpp"

namespace svertka {
namespace {

using json = nlohmann::json;

constexpr int kFormatVersion = 1;
constexpr std::size_t kMaxDepth = 16;             // the format nests 4 deep
constexpr std::uintmax_t kMaxBytes = 64 << 20;    // far more than any real database

json cpu_json(const Topology& cpu) {
  return {{"model", cpu.cpu_model},
          {"l1d", cpu.l1d_bytes},
          {"l2", cpu.l2_bytes},
          {"l3", cpu.l3_bytes}};
}

// A number in [lo, hi], or throws naming the field.
int64_t integer(const json& j, const char* field, int64_t lo, int64_t hi) {
  const json& v = j.at(field);
  if (!v.is_number_integer()) throw std::runtime_error(std::string(field) + " is not an integer");
  const int64_t x = v.get<int64_t>();
  if (x < lo || x > hi) throw std::runtime_error(std::string(field) + " is out of range");
  return x;
}

std::string text(const json& j, const char* field, std::size_t max = 256) {
  const json& v = j.at(field);
  if (!v.is_string()) throw std::runtime_error(std::string(field) + " is not a string");
  std::string s = v.get<std::string>();
  if (s.size() > max) throw std::runtime_error(std::string(field) + " is too long");
  return s;
}

double seconds(const json& j, const char* field) {
  const json& v = j.at(field);
  if (!v.is_number()) throw std::runtime_error(std::string(field) + " is not a number");
  const double x = v.get<double>();
  if (!(x >= 0 && x < 1e6)) throw std::runtime_error(std::string(field) + " is out of range");
  return x;
}

TuningRecord record_from(const json& r) {
  if (!r.is_object()) throw std::runtime_error("a record is not an object");
  const json& k = r.at("key");
  const json& c = r.at("choice");
  TuningRecord rec;
  rec.key = {text(k, "op"), text(k, "problem"), text(k, "layout"), text(k, "isa"),
             integer(k, "threads", 1, 4096)};
  rec.choice.algorithm = text(c, "algorithm", 64);
  rec.choice.kernel = text(c, "kernel", 128);
  rec.choice.mc = integer(c, "mc", 0, 1 << 20);
  rec.choice.kc = integer(c, "kc", 0, 1 << 20);
  rec.choice.nc = integer(c, "nc", 0, 1 << 20);
  rec.choice.tasks_per_thread = integer(c, "tasks_per_thread", 0, 64);
  rec.seconds = seconds(r, "seconds");
  rec.heuristic_seconds = seconds(r, "heuristic_seconds");
  if (rec.choice.algorithm.empty()) throw std::runtime_error("a record has no algorithm");
  return rec;
}

json record_to(const TuningRecord& rec) {
  return {{"key",
           {{"op", rec.key.op},
            {"problem", rec.key.problem},
            {"layout", rec.key.layout},
            {"isa", rec.key.isa},
            {"threads", rec.key.threads}}},
          {"choice",
           {{"algorithm", rec.choice.algorithm},
            {"kernel", rec.choice.kernel},
            {"mc", rec.choice.mc},
            {"kc", rec.choice.kc},
            {"nc", rec.choice.nc},
            {"tasks_per_thread", rec.choice.tasks_per_thread}}},
          {"seconds", rec.seconds},
          {"heuristic_seconds", rec.heuristic_seconds}};
}

}  // namespace

TuningKey tuning_key(const Problem& pr, const std::string& isa, int threads) {
  std::string problem = to_string(pr);
  if (pr.p.output_padding_h || pr.p.output_padding_w) {
    problem += "_oph" + std::to_string(pr.p.output_padding_h) + "opw" +
               std::to_string(pr.p.output_padding_w);
  }
  return {to_string(pr.op), problem, to_string(pr.p.layout), isa, threads};
}

TuningDb TuningDb::parse(const std::string& input, const Topology& cpu) {
  json doc;
  try {
    // Reject deep nesting while parsing, before it costs anything.
    doc = json::parse(input, [](int depth, json::parse_event_t, json&) {
      if (depth > int(kMaxDepth)) throw std::runtime_error("nested deeper than the format");
      return true;
    });
  } catch (const json::exception& e) {
    throw std::runtime_error(std::string("not valid JSON (") + e.what() + ")");
  }
  TuningDb db;
  try {
    if (!doc.is_object() || doc.value("format", "") != "svertka-tuning") {
      throw std::runtime_error("not a svertka tuning database");
    }
    if (integer(doc, "version", 0, 1 << 30) != kFormatVersion) {
      throw std::runtime_error("format version is not " + std::to_string(kFormatVersion));
    }
    const json& machines = doc.at("machines");
    if (!machines.is_array()) throw std::runtime_error("machines is not an array");
    const json mine = cpu_json(cpu);
    for (const json& m : machines) {
      if (!m.is_object() || !m.at("records").is_array()) {
        throw std::runtime_error("a machine has no records");
      }
      if (m.at("cpu") != mine) {
        db.foreign_.push_back(m.dump());
        continue;
      }
      for (const json& r : m.at("records")) {
        TuningRecord rec = record_from(r);
        db.records_[rec.key] = rec;
      }
    }
  } catch (const json::exception& e) {
    throw std::runtime_error(std::string("unexpected content (") + e.what() + ")");
  }
  return db;
}

TuningDb TuningDb::load(const std::filesystem::path& path, const Topology& cpu) {
  std::error_code ec;
  if (path.empty() || !std::filesystem::exists(path, ec)) return {};
  const std::uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) throw std::runtime_error("cannot read " + path.string());
  if (size > kMaxBytes) throw std::runtime_error(path.string() + " is too large to be a database");
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) throw std::runtime_error("cannot read " + path.string());
  try {
    return parse(text.str(), cpu);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(path.string() + ": " + e.what());
  }
}

const TuningRecord* TuningDb::find(const TuningKey& key) const {
  const auto it = records_.find(key);
  return it == records_.end() ? nullptr : &it->second;
}

void TuningDb::merge(const TuningRecord& record) { records_[record.key] = record; }

std::string TuningDb::serialize(const Topology& cpu) const {
  json machines = json::array();
  for (const std::string& m : foreign_) machines.push_back(json::parse(m));
  json mine = {{"cpu", cpu_json(cpu)}, {"records", json::array()}};
  for (const auto& [key, rec] : records_) mine["records"].push_back(record_to(rec));
  machines.push_back(mine);
  return json{{"format", "svertka-tuning"}, {"version", kFormatVersion}, {"machines", machines}}
             .dump(1) +
         "\n";
}

void TuningDb::save(const std::filesystem::path& path, const Topology& cpu) const {
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  std::filesystem::path temp = path;
  temp += ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << serialize(cpu);
    out.flush();
    if (!out) {
      std::filesystem::remove(temp);
      throw std::runtime_error("cannot write " + temp.string());
    }
  }
  std::filesystem::rename(temp, path);  // atomic within one file system
}

std::filesystem::path tuning_file() {
  const std::string set = env("SVERTKA_TUNING_FILE");
  if (!set.empty()) return set;
  const std::string cache = env("XDG_CACHE_HOME");
  if (!cache.empty()) return std::filesystem::path(cache) / "svertka" / "tuning.json";
  const std::string home = env("HOME");
  if (home.empty()) return {};
  return std::filesystem::path(home) / ".cache" / "svertka" / "tuning.json";
}

std::optional<Tuning> lookup_tuning(const Problem& pr, const std::string& isa, int threads) {
  static std::mutex mutex;
  static std::filesystem::path loaded_path;
  static std::filesystem::file_time_type loaded_time;
  static TuningDb db;
  static std::map<std::string, bool> warned;
  const std::filesystem::path path = tuning_file();
  std::lock_guard lock(mutex);
  std::error_code ec;
  const auto time = std::filesystem::last_write_time(path, ec);
  if (path != loaded_path || (!ec && time != loaded_time)) {
    loaded_path = path;
    loaded_time = ec ? std::filesystem::file_time_type{} : time;
    try {
      db = TuningDb::load(path, topology());
      if (db.foreign() > 0 && db.size() == 0 && !warned[path.string() + "#foreign"]) {
        warned[path.string() + "#foreign"] = true;
        log_line("warning: tuning file " + path.string() +
                 " holds measurements of other CPUs only; using the cost model");
      }
    } catch (const std::exception& e) {
      db = TuningDb();
      if (!warned[path.string()]) {
        warned[path.string()] = true;
        log_line(std::string("warning: ignoring tuning file: ") + e.what());
      }
    }
  }
  const TuningRecord* rec = db.find(tuning_key(pr, isa, threads));
  if (!rec) return std::nullopt;
  return rec->choice;
}

}  // namespace svertka
