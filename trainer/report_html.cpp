// HTML fragments and number formatting for the report: cards, chips, tables, figures, embedded PNGs.
#include "trainer/report_html.hpp"

#include "trainer/report_assets.hpp"

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>

namespace trainer::report {

namespace {

std::string base64(const std::string& in) {
  static const char* tab = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t v = (uint32_t(uint8_t(in[i])) << 16) | (uint32_t(uint8_t(in[i + 1])) << 8) | uint8_t(in[i + 2]);
    out += tab[v >> 18], out += tab[(v >> 12) & 63], out += tab[(v >> 6) & 63], out += tab[v & 63];
  }
  if (i + 1 == in.size()) {
    const uint32_t v = uint32_t(uint8_t(in[i])) << 16;
    out += tab[v >> 18], out += tab[(v >> 12) & 63], out += "==";
  } else if (i + 2 == in.size()) {
    const uint32_t v = (uint32_t(uint8_t(in[i])) << 16) | (uint32_t(uint8_t(in[i + 1])) << 8);
    out += tab[v >> 18], out += tab[(v >> 12) & 63], out += tab[(v >> 6) & 63], out += '=';
  }
  return out;
}

}  // namespace

std::string page_head(const std::string& title, const std::string& extra_css) {
  return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
         "<title>" + html_escape(title) + "</title>\n<style>" + kCss + extra_css + "</style>\n</head>\n<body>\n";
}

std::string section_start(const std::string& id, const std::string& heading) {
  return "<section id=\"" + id + "\"><h2>" + heading + "</h2>";
}

std::string note_section(const std::string& id, const std::string& heading, const std::string& note) {
  return section_start(id, heading) + "<p class=\"note\">" + note + "</p></section>\n";
}

std::string local_time_now() {
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char when[64];
  std::tm local{};
  localtime_r(&now, &local);
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S %Z", &local);
  return when;
}

std::string fmt(double v, int digits) {
  if (!std::isfinite(v)) return std::isnan(v) ? "–" : (v > 0 ? "+inf" : "-inf");
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  return buf;
}

std::string duration_text(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "–";
  const long t = static_cast<long>(seconds + 0.5);
  char buf[48];
  if (t >= 3600) std::snprintf(buf, sizeof buf, "%ldh %02ldm %02lds", t / 3600, (t / 60) % 60, t % 60);
  else if (t >= 60) std::snprintf(buf, sizeof buf, "%ldm %02lds", t / 60, t % 60);
  else std::snprintf(buf, sizeof buf, "%.1fs", seconds);
  return buf;
}

std::string card(const std::string& key, const std::string& value, const std::string& sub) {
  return "<div class=\"card\"><div class=\"k\">" + html_escape(key) + "</div><div class=\"v\">" + html_escape(value) +
         "</div>" + (sub.empty() ? "" : "<div class=\"s\">" + html_escape(sub) + "</div>") + "</div>";
}

std::string chip(const std::string& text, const char* color) {
  return "<span class=\"chip\" style=\"background:" + std::string(color) + "\">" + html_escape(text) + "</span>";
}

std::string key_value_table(const std::vector<std::pair<std::string, std::string>>& rows, const std::string& empty) {
  if (rows.empty()) return "<p class=\"note\">" + html_escape(empty) + "</p>";
  std::string table = "<table><tbody>";
  for (const auto& [key, value] : rows)
    table += "<tr><th>" + html_escape(key) + "</th><td class=\"mono\">" + html_escape(value) + "</td></tr>";
  return table + "</tbody></table>";
}

std::string figure(const ChartSpec& chart, const std::string& caption) {
  return "<figure>" + render_svg_chart(chart) + "<figcaption>" + caption + "</figcaption></figure>\n";
}

std::string read_png(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return {};
  std::ostringstream bytes;
  bytes << file.rdbuf();
  std::string png = bytes.str();
  static const std::string magic("\x89PNG\r\n\x1a\n", 8);
  return png.compare(0, magic.size(), magic) == 0 ? png : std::string();
}

std::string png_data_uri(const std::string& png) { return "data:image/png;base64," + base64(png); }

}  // namespace trainer::report
