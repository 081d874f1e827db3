// Small HTML fragments and number texts that the report's sections are made of.
#pragma once
#include "trainer/svg_chart.hpp"

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace trainer::report {

// The page up to <body>: doctype, <title> (escaped), the inline stylesheet report::kCss followed by `extra_css`.
std::string page_head(const std::string& title, const std::string& extra_css = {});

// The opening of a headed <section>: the anchor the navigation links to, and the heading (HTML, not escaped).
std::string section_start(const std::string& id, const std::string& heading);

// A section with nothing to show but a note saying why (HTML, not escaped).
std::string note_section(const std::string& id, const std::string& heading, const std::string& note);

// The local time as "2026-12-01 14:30:05 UTC", for the line saying when a page was written.
std::string local_time_now();

// A number with `digits` significant digits; "–" for NaN, "+inf" / "-inf" for infinities.
std::string fmt(double v, int digits = 4);

// Seconds as "1h 02m 03s", "2m 03s" or "4.5s"; "–" when unknown.
std::string duration_text(double seconds);

// A summary card: key, big value, optional small line under it. All three are escaped.
std::string card(const std::string& key, const std::string& value, const std::string& sub = {});

// A colored label (warning kinds); the text is escaped.
std::string chip(const std::string& text, const char* color);

// A two-column table of name/value pairs, or a note saying `empty` when there are none.
std::string key_value_table(const std::vector<std::pair<std::string, std::string>>& rows, const std::string& empty);

// A chart with its caption (HTML, not escaped).
std::string figure(const ChartSpec& chart, const std::string& caption);

// The bytes of a PNG file, or empty when it is missing or not a PNG.
std::string read_png(const std::filesystem::path& path);

// "data:image/png;base64,..." of PNG bytes, so that the page holds its images.
std::string png_data_uri(const std::string& png);

}  // namespace trainer::report
