// libFuzzer target: --config files (pipeline/option_table.hpp parse_config_entries and quoted values) applied
// through the tools' own code (tools/common/options.hpp apply_config) to the rows of every command's table: train,
// sample, eval and celeba-pack. Whatever a table accepted must survive its own round trip: the options written as
// config text (what options.cfg holds) read back to the same options, and the same text.
#include "fuzz_support.hpp"

#include "common/options.hpp"
#include "pipeline/pack_options.hpp"
#include "trainer/options.hpp"

#include <set>

namespace {

// Applies `text` to default options; false when the table refuses it (a bad line, an unknown option, a bad value).
template <class O>
bool apply(const std::string& text, const opt::Table<O>& table, O& o) {
  std::set<std::string> given;
  try {
    cli::detail::apply_config({"'fuzz.cfg'", text}, table, o, given);
    return true;
  } catch (const std::invalid_argument&) {
    return false;
  }
}

template <class O>
void check_table(std::string_view text, const opt::Table<O>& table) {
  O o{};
  if (!apply(std::string(text), table, o)) return;
  fuzz::expected_errors([&] { opt::validate(table, o); });
  // Round trip: what config_text writes is read back to the same options (options.cfg, the resume check).
  const std::string saved = opt::config_text(table, o, "fuzz");
  O back{};
  if (!apply(saved, table, back)) __builtin_trap();
  if (opt::config_text(table, back, "fuzz") != saved) __builtin_trap();
  if (opt::first_shape_change(table, opt::parse_config_text(saved), o)) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = fuzz::as_text({data, size});
  fuzz::expected_errors([&] { (void)opt::parse_config_entries(text); });
  check_table(text, trainer::train_options());
  check_table(text, trainer::sample_options());
  check_table(text, trainer::eval_options());
  check_table(text, pipeline::pack_options());
  return 0;
}
