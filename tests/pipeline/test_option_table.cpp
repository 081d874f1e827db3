// pipeline/option_table.hpp: what derives from a table (parsing, validation, config text, the resume comparison)
// on a small options struct of its own.
#include "pipeline/option_table.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace {

enum class Color { red, green };
constexpr std::pair<Color, std::string_view> kColorNames[] = {{Color::red, "red"}, {Color::green, "green"}};

struct Nested {
  int depth = 3;
};

struct Opts {
  std::string path;
  int count = 2;
  int64_t big = 0;
  uint64_t seed = 7;
  double rate = 2e-4;
  Color color = Color::red;
  bool verbose = true;
  bool once = false;
  Nested nested;
};

const opt::Table<Opts>& table() {
  using R = opt::For<Opts>;
  static const opt::Table<Opts> t = {
      R::value("path", &Opts::path, "a path", opt::kRequired | opt::kShapes),
      R::value("count", &Opts::count, "how many", opt::kShapes, opt::at_least(1)),
      R::value("big", &Opts::big, "a 64-bit count"),
      R::value("seed", &Opts::seed, "a seed", opt::kShapes),
      R::value("rate", &Opts::rate, "a rate", opt::kShapes, opt::in_range(0.0, 1.0)),
      R::choice("color", &Opts::color, kColorNames, "a color", opt::kShapes),
      R::flag("quiet", &Opts::verbose, "less output", false),
      R::flag("once", &Opts::once, "this run only", true, opt::kNotSaved),
      R::value("depth", [](Opts& o) -> int& { return o.nested.depth; }, "a nested member", 0, opt::at_least(0)),
  };
  return t;
}

std::string error_of(auto&& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

const opt::Row<Opts>& row(const char* name) { return *opt::find(table(), name); }

TEST(OptionTable, ParsesEveryTypeAndNamesTheOptionOnBadText) {
  Opts o;
  row("count").set(o, "5");
  row("big").set(o, "-9000000000");
  row("seed").set(o, "18446744073709551615");
  row("rate").set(o, "2.5e-3");
  row("color").set(o, "green");
  row("depth").set(o, "9");
  EXPECT_EQ(o.count, 5);
  EXPECT_EQ(o.big, -9000000000);
  EXPECT_EQ(o.seed, UINT64_MAX);
  EXPECT_EQ(o.rate, 2.5e-3);
  EXPECT_EQ(o.color, Color::green);
  EXPECT_EQ(o.nested.depth, 9);
  EXPECT_EQ(error_of([&] { row("count").set(o, "5x"); }), "--count: expected an integer, got '5x'");
  EXPECT_EQ(error_of([&] { row("count").set(o, ""); }), "--count: expected an integer, got ''");
  EXPECT_EQ(error_of([&] { row("seed").set(o, "-1"); }), "--seed: expected an integer, got '-1'");
  EXPECT_EQ(error_of([&] { row("count").set(o, "99999999999"); }), "--count: '99999999999' is out of range");
  EXPECT_EQ(error_of([&] { row("rate").set(o, "fast"); }), "--rate: expected a number, got 'fast'");
  EXPECT_EQ(error_of([&] { row("color").set(o, "blue"); }), "--color: expected red, green, got 'blue'");
  EXPECT_EQ(o.count, 5) << "a failed parse leaves the member alone";
}

TEST(OptionTable, DefaultsAndCanonicalTextComeFromTheStruct) {
  const Opts d;
  EXPECT_EQ(row("rate").get(d), "0.0002");  // shortest text that reads back, not 0.00020000000000000001
  EXPECT_EQ(row("color").get(d), "red");
  EXPECT_EQ(row("quiet").get(d), "false");  // not given: verbose keeps its default
  Opts o;
  row("quiet").set(o, "true");
  EXPECT_FALSE(o.verbose);
  EXPECT_EQ(row("quiet").get(o), "true");
  EXPECT_NE(row("color").help.find("red | green"), std::string::npos) << "--help lists the choices";
}

TEST(OptionTable, ValidateNamesTheFirstBadOption) {
  Opts o;
  EXPECT_EQ(error_of([&] { opt::validate(table(), o); }), "--path: is required (a path)");
  o.path = "x";
  EXPECT_EQ(error_of([&] { opt::validate(table(), o); }), "");
  o.count = 0;
  EXPECT_EQ(error_of([&] { opt::validate(table(), o); }), "--count: must be >= 1, got 0");
  o.count = 1;
  o.rate = 1.5;
  EXPECT_EQ(error_of([&] { opt::validate(table(), o); }), "--rate: must be in [0, 1], got 1.5");
}

TEST(OptionTable, ConfigTextReadsBackToTheSameOptions) {
  Opts o;
  o.path = "data/dir with spaces";
  o.count = 4;
  o.rate = 0.1;
  o.color = Color::green;
  o.verbose = false;
  o.once = true;
  o.nested.depth = 0;
  const std::string text = opt::config_text(table(), o, "test options");
  EXPECT_EQ(text.rfind("# test options\n", 0), 0u);
  EXPECT_EQ(text.find("once"), std::string::npos) << "kNotSaved rows stay out of the file";
  Opts back;
  for (const auto& [k, v] : opt::parse_config_text(text)) opt::find(table(), k)->set(back, v);
  for (const auto& r : table())
    if (!r.has(opt::kNotSaved)) {
      EXPECT_EQ(r.get(back), r.get(o)) << r.name;
    }
}

TEST(OptionTable, ParseConfigTextSkipsCommentsAndBlankLines) {
  const auto kv = opt::parse_config_text("# c\n\n a = 1 # trailing\nb=two words\r\nc =\nd = \"x # y\" # z");
  ASSERT_EQ(kv.size(), 4u);
  EXPECT_EQ(kv[0], (std::pair<std::string, std::string>{"a", "1"}));
  EXPECT_EQ(kv[1], (std::pair<std::string, std::string>{"b", "two words"}));
  EXPECT_EQ(kv[2], (std::pair<std::string, std::string>{"c", ""}));
  EXPECT_EQ(kv[3], (std::pair<std::string, std::string>{"d", "x # y"}));
}

TEST(OptionTable, ConfigValuesRoundTripExactly) {
  Opts o;
  for (const std::string v : {"o/cache#x", "a = b", " lead and trail ", "two\nlines\r\n", "tab\there",
                              "quote\" and \\ backslash", "caf\xc3\xa9 \xe6\x95\xb0\xe6\x8d\xae", "", "[not a section]"}) {
    o.path = v;
    const auto entries = opt::parse_config_entries(opt::config_text(table(), o, "t"));
    ASSERT_FALSE(entries.empty());
    EXPECT_EQ(entries[0].name, "path");
    EXPECT_EQ(entries[0].value, v);
  }
}

TEST(OptionTable, MalformedConfigLinesAreNamedByLine) {
  EXPECT_EQ(error_of([] { opt::parse_config_entries("a = 1\nno equals sign"); }),
            "line 2: expected 'name = value', got 'no equals sign'");
  EXPECT_EQ(error_of([] { opt::parse_config_entries("[section]\na = 1"); }),
            "line 1: expected 'name = value', got '[section]'");
  EXPECT_EQ(error_of([] { opt::parse_config_entries("a = \"open"); }), "line 1: the closing '\"' is missing");
  EXPECT_EQ(error_of([] { opt::parse_config_entries("a = \"x\\q\""); }), "line 1: unknown escape '\\q'");
  EXPECT_EQ(error_of([] { opt::parse_config_entries("\n\na = \"x\" y"); }), "line 3: 'y' after the quoted value");
}

TEST(OptionTable, ShapeChangeComparesCanonicalTextOfShapingOptionsOnly) {
  Opts now;
  now.path = "p";
  // "2e-4" is the saved spelling of the same rate; big and depth do not shape the computation.
  EXPECT_FALSE(opt::first_shape_change(table(), {{"path", "p"}, {"rate", "2e-4"}, {"big", "5"}, {"depth", "1"}}, now));
  const auto c = opt::first_shape_change(table(), {{"path", "p"}, {"count", "3"}}, now);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->name, "count");
  EXPECT_EQ(c->saved, "3");
  EXPECT_EQ(c->now, "2");
  const auto bad = opt::first_shape_change(table(), {{"color", "blue"}}, now);  // unreadable: a change
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->name, "color");
}

}  // namespace
