// The tuning database: round trip, atomic writes, every kind of bad file (one warning, then the
// model, never a crash), and tuned plans that compute what untuned ones do.
#include "runtime/tuning_db.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <unistd.h>

#include "kernel_tables.hpp"
#include "support/against_reference.hpp"
#include "support/scoped_env.hpp"

namespace svertka::test {
namespace {

ConvParams layer() {
  ConvParams p;
  p.in_channels = 24;
  p.out_channels = 40;
  p.in_height = 13;
  p.in_width = 30;
  p.kernel_h = p.kernel_w = 3;
  p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = 1;
  p.layout = Layout::nhwc;
  return p;
}

TuningRecord record(const std::string& isa, int threads, Tuning choice) {
  return {tuning_key(make_problem(Op::conv2d, layer()), isa, threads), choice, 1e-3, 1.2e-3};
}

std::filesystem::path temp_file(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / "svertka-tests";
  std::filesystem::create_directories(dir);
  return dir / (name + "-" + std::to_string(::getpid()) + ".json");
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  return at == std::string::npos ? text : text.replace(at, from.size(), to);
}

void write(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

TEST(TuningDb, RoundTripsThroughItsFile) {
  TuningDb db;
  db.merge(record("avx512", 1, {"im2col_gemm", "brgemm_f32_8x32_row8__avx512f", 112, 64, 256, 0}));
  db.merge(record("avx2", 2, {"direct", "", 0, 0, 0, 16}));
  const auto path = temp_file("roundtrip");
  db.save(path, topology());
  const TuningDb back = TuningDb::load(path, topology());
  ASSERT_EQ(back.size(), 2u);
  for (const TuningRecord& r : {record("avx512", 1, {}), record("avx2", 2, {})}) {
    const TuningRecord* found = back.find(r.key);
    ASSERT_NE(found, nullptr);
    EXPECT_EQ(found->choice, db.find(r.key)->choice);
    EXPECT_DOUBLE_EQ(found->seconds, 1e-3);
  }
  EXPECT_EQ(back.find(record("avx512", 2, {}).key), nullptr);  // thread count is in the key
  std::filesystem::remove(path);
}

TEST(TuningDb, SavingReplacesTheFileAtomicallyAndKeepsOtherCpus) {
  Topology other = topology();
  other.cpu_model = "Some Other CPU";
  TuningDb theirs;
  theirs.merge(record("avx2", 4, {"direct", "", 0, 0, 0, 0}));
  const auto path = temp_file("atomic");
  theirs.save(path, other);
  TuningDb mine = TuningDb::load(path, topology());
  EXPECT_EQ(mine.size(), 0u);
  EXPECT_EQ(mine.foreign(), 1u);
  mine.merge(record("avx512", 1, {"direct", "", 0, 0, 0, 0}));
  mine.save(path, topology());
  for (const auto& entry : std::filesystem::directory_iterator(path.parent_path())) {
    EXPECT_EQ(entry.path().string().find(path.filename().string() + ".tmp"), std::string::npos)
        << "left a temporary file: " << entry.path();
  }
  EXPECT_EQ(TuningDb::load(path, topology()).size(), 1u);
  EXPECT_EQ(TuningDb::load(path, other).size(), 1u);  // the other CPU's record survived
  std::filesystem::remove(path);
}

// Each file is rejected with a reason by the parser, and through SVERTKA_TUNING_FILE a plan
// falls back to the model (no "tuned") and still computes the right result.
TEST(TuningDb, BadFilesAreRejectedAndPlansFallBackToTheModel) {
  const std::string good = [] {
    TuningDb db;
    db.merge(record("avx512", 1, {"direct", "", 0, 0, 0, 0}));
    return db.serialize(topology());
  }();
  std::string deep(100000, '[');
  deep += std::string(100000, ']');
  const std::string bad[] = {
      "",
      "garbage \x01\x02",
      good.substr(0, good.size() / 2),                                     // truncated
      "{\"format\": \"svertka-tuning\", \"version\": 99, \"machines\": []}",  // future
      deep,                                                                  // deep nesting
      replaced(good, "\"threads\": 1", "\"threads\": \"one\""),
      replaced(good, "\"threads\": 1", "\"threads\": 1e300"),
      replaced(good, "\"kc\": 0", "\"kc\": 99999999999999"),
      replaced(good, "\"algorithm\": \"direct\"", "\"algorithm\": 7"),
      replaced(good, "\"records\"", "\"recs\""),
  };
  const auto path = temp_file("bad");
  std::mt19937 rng(1);
  for (const std::string& text : bad) {
    EXPECT_THROW(TuningDb::parse(text, topology()), std::runtime_error) << text.substr(0, 80);
    write(path, text);
    const ScopedEnv env{{"SVERTKA_TUNING_FILE", path.string()}, {"SVERTKA_ALGO", ""}};
    std::string description;
    EXPECT_TRUE(matches_reference(Op::conv2d, layer(), rng, &description));
    EXPECT_EQ(description.find("tuned"), std::string::npos) << description;
  }
  std::filesystem::remove(path);
}

TEST(TuningDb, ForeignCpuRecordsAreNotUsed) {
  Topology other = topology();
  other.l2_bytes *= 2;
  TuningDb db;
  db.merge(record(to_string(detected_isa()), 1, {"im2col_gemm", "", 0, 0, 0, 0}));
  const auto path = temp_file("foreign");
  db.save(path, other);
  const ScopedEnv env{{"SVERTKA_TUNING_FILE", path.string()}, {"SVERTKA_NUM_THREADS", "1"},
                      {"SVERTKA_ALGO", ""}};
  std::mt19937 rng(2);
  std::string description;
  EXPECT_TRUE(matches_reference(Op::conv2d, layer(), rng, &description));
  EXPECT_EQ(description.find("tuned"), std::string::npos) << description;
  std::filesystem::remove(path);
}

// A record for this CPU makes the plan take it, say so, and compute the same result.
TEST(TuningDb, TunedPlansComputeWhatUntunedOnesDo) {
  if (detected_isa() == Isa::reference) GTEST_SKIP() << "no kernels to tune";
  const KernelTable& table = *kernel_table(detected_isa());
  const auto path = temp_file("tuned");
  const std::string isa = table.isa;
  for (const Tuning& t : {Tuning{"im2col_gemm", table.gemm.back().name, 0, 24, 0, 2},
                          Tuning{"direct", table.gemm[1].name, 0, 0, 0, 0}}) {
    TuningDb db;
    for (int threads : {1, 2}) db.merge(record(isa, threads, t));
    db.save(path, topology());
    for (const char* threads : {"1", "2"}) {
      const ScopedEnv env{{"SVERTKA_TUNING_FILE", path.string()},
                          {"SVERTKA_NUM_THREADS", threads},
                          {"SVERTKA_ALGO", ""}};
      std::mt19937 rng(3);
      std::string description;
      EXPECT_TRUE(matches_reference(Op::conv2d, layer(), rng, &description));
      EXPECT_NE(description.find(t.algorithm), std::string::npos) << description;
      EXPECT_NE(description.find(" tuned"), std::string::npos) << description;
    }
  }
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace svertka::test
