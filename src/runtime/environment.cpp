#include "environment.hpp"

#include <cstdio>
#include <cstdlib>

namespace svertka {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

bool verbose() {
  static const bool on = env("SVERTKA_VERBOSE") == "1";
  return on;
}

void log_line(const std::string& line) {
  const std::string out = "svertka: " + line + "\n";
  std::fwrite(out.data(), 1, out.size(), stderr);
}

}  // namespace svertka
