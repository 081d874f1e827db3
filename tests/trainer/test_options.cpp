// The option tables of dcgan-onednn's commands (trainer/options.hpp) and the resume check derived from train's.
#include "support/run.hpp"
#include "trainer/options.hpp"
#include "trainer/resume.hpp"
#include "trainer/run_layout.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <set>

namespace fs = std::filesystem;

namespace {

template <class O>
void expect_sound_table(const opt::Table<O>& t) {
  const O defaults{};
  std::set<std::string> names;
  for (const auto& r : t) {
    EXPECT_TRUE(names.insert(r.name).second) << "--" << r.name << " is in the table twice";
    EXPECT_FALSE(r.help.empty()) << "--" << r.name << " has no help";
    O back{};
    r.set(back, r.get(defaults));  // the default's text reads back to the default
    EXPECT_EQ(r.get(back), r.get(defaults)) << r.name;
  }
}

TEST(Options, EveryCommandTableIsSound) {
  expect_sound_table(trainer::train_options());
  expect_sound_table(trainer::sample_options());
  expect_sound_table(trainer::eval_options());
}

TEST(Options, TrainDefaultsAreTheTutorials) {
  const trainer::TrainOptions o;
  const auto& t = trainer::train_options();
  EXPECT_EQ(opt::find(t, "batch")->get(o), "128");
  EXPECT_EQ(opt::find(t, "lr")->get(o), "0.0002");
  EXPECT_EQ(opt::find(t, "beta1")->get(o), "0.5");
  EXPECT_EQ(opt::find(t, "nz")->get(o), "100");
  EXPECT_EQ(opt::find(t, "seed")->get(o), "999");
  EXPECT_EQ(opt::find(t, "precision")->get(o), "f32");
  EXPECT_EQ(opt::find(t, "partition")->get(o), "all");
}

TEST(Options, EnumsAreParsedOnceIntoTheStruct) {
  trainer::TrainOptions o;
  const auto& t = trainer::train_options();
  opt::find(t, "precision")->set(o, "bf16");
  opt::find(t, "engine")->set(o, "gpu");
  opt::find(t, "partition")->set(o, "valid");
  EXPECT_EQ(o.precision, nn::Precision::bf16);
  EXPECT_EQ(o.engine, nn::EngineKind::gpu);
  EXPECT_EQ(o.partition, pipeline::Partition::valid);
  try {
    opt::find(t, "precision")->set(o, "fp16");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), "--precision: expected f32, bf16, got 'fp16'");
  }
}

TEST(Options, ConfigTextHoldsEverySavedOptionAndNotTheInvocationsChoices) {
  trainer::TrainOptions o;
  o.data = "cache";
  o.out = "run";
  o.resume = true;
  const auto kv = opt::parse_config_text(trainer::to_config_text(o));
  std::set<std::string> keys;
  for (const auto& [k, v] : kv) keys.insert(k);
  for (const auto& r : trainer::train_options())
    EXPECT_EQ(keys.count(r.name), r.has(opt::kNotSaved) ? 0u : 1u) << r.name;
}

TEST(Options, ResumeRefusesAChangedShapingOptionAndAcceptsAnotherSpelling) {
  const fs::path run = testsupport::fresh_dir("options_resume");
  trainer::TrainOptions saved;
  saved.data = "cache";
  saved.out = run.string();
  std::string text = trainer::to_config_text(saved);
  text.replace(text.find("lr = 0.0002"), 11, "lr = 2e-4");  // a hand-edited spelling of the same value
  std::ofstream(run / trainer::run_layout::kOptions) << text;

  trainer::TrainOptions now = saved;
  now.iters = 10;  // does not shape the computation
  now.log_every = 1;
  EXPECT_NO_THROW(trainer::check_resume_options(run, now));
  now.batch = 64;
  try {
    trainer::check_resume_options(run, now);
    FAIL();
  } catch (const std::invalid_argument& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("--batch: the run in '" + run.string() + "' was started with 128, not 64"), std::string::npos)
        << m;
  }
  now.batch = 128;
  now.precision = nn::Precision::bf16;
  EXPECT_THROW(trainer::check_resume_options(run, now), std::invalid_argument);
}

}  // namespace
