// Option tables: each option of a command written once (name, member, default, help, checks, flags), from which
// the command line (tools/common/options.hpp), validation, the config-file text and the resume check derive.
//
// A table is a list of rows over an options struct O. The default of a row is the value of its member in a
// default-constructed O, so the struct's initializers are the one place defaults are written. Every value goes
// through text the same way (command line, config file, options.cfg of a run): `set` parses, `get` writes the
// canonical text, so "0.0002" and "2e-4" compare equal on resume.
//
// Header-only and dependency-free: both celeba-pack's options (pipeline) and the trainer's commands use it.
#pragma once
#include <algorithm>
#include <charconv>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace opt {

// What a row is, beyond a value with a default.
enum Flag : unsigned {
  kRequired = 1u << 0,    // must be given a non-empty value
  kShapes = 1u << 1,      // shapes the computation: a resumed run refuses a different value
  kNotSaved = 1u << 2,    // one invocation's choice (--resume, --no-progress): left out of the config text
  kPositional = 1u << 3,  // the command's positional argument, hidden from --help's option list
  kMany = 1u << 4,        // takes several values (a list row); positional, it takes every remaining word
};

// The names of an enum's values, in the order --help lists them.
template <class E>
using Names = std::span<const std::pair<E, std::string_view>>;

template <class O>
struct Row {
  std::string name;   // "batch": --batch on the command line, "batch = ..." in a config file
  std::string help;   // one line for --help
  unsigned flags = 0;
  bool is_switch = false;  // given or not, no value ("true"/"false" in a config file)
  std::function<std::string(const O&)> get;       // the member as canonical text
  std::function<void(O&, std::string_view)> set;  // parses text into the member; throws std::invalid_argument
  std::function<std::string(const O&)> check;     // why the value is out of range, "" when it is fine

  bool has(Flag f) const { return (flags & f) != 0; }
};

template <class O>
using Table = std::vector<Row<O>>;

// ---- text of the scalar types ----

inline std::string to_text(const std::string& v) { return v; }
inline std::string to_text(const std::filesystem::path& v) { return v.string(); }
inline std::string to_text(bool v) { return v ? "true" : "false"; }
inline std::string to_text(double v) {
  char b[32];  // shortest text that reads back to the same double ("0.0002", not "0.00020000000000000001")
  const auto r = std::to_chars(b, b + sizeof b, v, std::chars_format::general);
  return std::string(b, r.ptr);
}
template <class T>
  requires std::is_integral_v<T> && (!std::is_same_v<T, bool>)
std::string to_text(T v) {
  return std::to_string(v);
}

// Parses `s` as a T; throws std::invalid_argument("expected ..., got '<s>'") without the option's name.
template <class T>
T from_text(std::string_view s) {
  if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, std::filesystem::path>) {
    return T(std::string(s));
  } else if constexpr (std::is_same_v<T, bool>) {
    for (auto t : {"true", "1", "yes", "on"})
      if (s == t) return true;
    for (auto f : {"false", "0", "no", "off"})
      if (s == f) return false;
    throw std::invalid_argument("expected true or false, got '" + std::string(s) + "'");
  } else {
    static_assert(std::is_arithmetic_v<T>, "an option is a string, a bool, a number or an enum with Names");
    T v{};
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (r.ec == std::errc::result_out_of_range)
      throw std::invalid_argument("'" + std::string(s) + "' is out of range");
    if (r.ec != std::errc() || r.ptr != s.data() + s.size() || s.empty())
      throw std::invalid_argument(std::string(std::is_integral_v<T> ? "expected an integer" : "expected a number") +
                                  ", got '" + std::string(s) + "'");
    return v;
  }
}

template <class E>
std::string choices_text(Names<E> names, std::string_view sep = " | ") {
  std::string s;
  for (const auto& [v, n] : names) s += (s.empty() ? "" : std::string(sep)) + std::string(n);
  return s;
}

template <class E>
E parse_choice(Names<E> names, std::string_view s) {
  for (const auto& [v, n] : names)
    if (n == s) return v;
  throw std::invalid_argument("expected " + choices_text(names, ", ") + ", got '" + std::string(s) + "'");
}

template <class E>
std::string_view choice_name(Names<E> names, E v) {
  for (const auto& [e, n] : names)
    if (e == v) return n;
  throw std::logic_error("opt::choice_name: a value without a name");
}

// ---- range checks (a check takes the value, returns "" or why it is wrong) ----

template <class N>
auto at_least(N lo) {
  return [lo](const auto& v) { return v >= lo ? std::string() : "must be >= " + to_text(lo) + ", got " + to_text(v); };
}
template <class N>
auto in_range(N lo, N hi) {  // [lo, hi]
  return [lo, hi](const auto& v) {
    return v >= lo && v <= hi ? std::string()
                              : "must be in [" + to_text(lo) + ", " + to_text(hi) + "], got " + to_text(v);
  };
}

// A thread count: 0 (all cores) up to 4x the cores. More only oversubscribes, and 10,000 threads took minutes
// and gigabytes before the first step.
inline auto threads_check() {
  return [](int v) {
    const int most = 4 * static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    return v >= 0 && v <= most ? std::string()
                               : "must be 0 (all cores) up to " + std::to_string(most) + " (4x the " +
                                     std::to_string(most / 4) + " cores), got " + std::to_string(v);
  };
}

// ---- rows of a table over O ----

template <class O>
struct For {
  // The member a row reads and writes: a pointer to member, or a callable `T& (O&)` for a nested member.
  template <class Access>
  using Field = std::remove_cvref_t<std::invoke_result_t<Access, O&>>;

  // A value of a string, bool or arithmetic member; `check` (optional) takes the value.
  template <class Access, class Check = std::nullptr_t>
  static Row<O> value(std::string name, Access field, std::string help, unsigned flags = 0, Check check = nullptr) {
    using T = Field<Access>;
    Row<O> r{std::move(name), std::move(help), flags, false, {}, {}, {}};
    r.get = [field](const O& o) { return to_text(ref(field, o)); };
    r.set = [field, n = r.name](O& o, std::string_view s) { std::invoke(field, o) = parse_named<T>(n, s); };
    if constexpr (!std::is_null_pointer_v<Check>) r.check = [field, check](const O& o) { return check(ref(field, o)); };
    return r;
  }

  // An enum member, written and parsed by its Names; --help lists them after the help text.
  template <class Access>
  static Row<O> choice(std::string name, Access field, Names<Field<Access>> names, std::string help,
                       unsigned flags = 0) {
    Row<O> r{std::move(name), std::move(help) + " (" + choices_text(names) + ")", flags, false, {}, {}, {}};
    r.get = [field, names](const O& o) { return std::string(choice_name(names, ref(field, o))); };
    r.set = [field, names, n = r.name](O& o, std::string_view s) {
      try {
        std::invoke(field, o) = parse_choice(names, s);
      } catch (const std::invalid_argument& e) {
        throw std::invalid_argument("--" + n + ": " + e.what());
      }
    };
    return r;
  }

  // A list of strings (a std::vector<std::string> member): each value given appends one element. Flagged kMany.
  template <class Access>
  static Row<O> list(std::string name, Access field, std::string help, unsigned flags = 0) {
    Row<O> r{std::move(name), std::move(help), flags | kMany, false, {}, {}, {}};
    r.get = [field](const O& o) {
      std::string s;
      for (const auto& v : ref(field, o)) s += (s.empty() ? "" : " ") + v;
      return s;
    };
    r.set = [field](O& o, std::string_view s) { std::invoke(field, o).emplace_back(s); };
    return r;
  }

  // A switch: giving it sets the bool member to `when_given` (--no-progress sets progress to false).
  template <class Access>
  static Row<O> flag(std::string name, Access field, std::string help, bool when_given = true, unsigned flags = 0) {
    Row<O> r{std::move(name), std::move(help), flags, true, {}, {}, {}};
    r.get = [field, when_given](const O& o) { return to_text(ref(field, o) == when_given); };
    r.set = [field, when_given, n = r.name](O& o, std::string_view s) {
      std::invoke(field, o) = parse_named<bool>(n, s) ? when_given : !when_given;
    };
    return r;
  }

  // A switch over anything else: `given` tells whether the options say what the switch says, `give` makes them.
  static Row<O> custom_flag(std::string name, std::string help, std::function<bool(const O&)> given,
                            std::function<void(O&)> give, unsigned flags = 0) {
    Row<O> r{std::move(name), std::move(help), flags, true, {}, {}, {}};
    r.get = [given](const O& o) { return to_text(given(o)); };
    r.set = [give, n = r.name](O& o, std::string_view s) {
      if (parse_named<bool>(n, s)) give(o);
    };
    return r;
  }

  // Anything else: the caller writes the text conversions (celeba-pack's "deflate:6").
  static Row<O> custom(std::string name, std::string help, std::function<std::string(const O&)> get,
                       std::function<void(O&, std::string_view)> set, unsigned flags = 0) {
    return Row<O>{std::move(name), std::move(help), flags, false, std::move(get), std::move(set), {}};
  }

 private:
  template <class Access>
  static const Field<Access>& ref(const Access& field, const O& o) {
    return std::invoke(field, const_cast<O&>(o));  // accessors are written once, for O&; reading does not write
  }
  template <class T>
  static T parse_named(const std::string& name, std::string_view s) {
    try {
      return from_text<T>(s);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument("--" + name + ": " + e.what());
    }
  }
};

// ---- what derives from a table ----

template <class O>
const Row<O>* find(const Table<O>& t, std::string_view name) {
  for (const auto& r : t)
    if (r.name == name) return &r;
  return nullptr;
}

// Throws std::invalid_argument("--name: why") for the first required option left empty or value out of range.
// A positional argument is named as in the usage line: "run-dir" is RUN_DIR.
template <class O>
void validate(const Table<O>& t, const O& o) {
  for (const auto& r : t) {
    if (r.has(kRequired) && r.get(o).empty()) {
      if (!r.has(kPositional)) throw std::invalid_argument("--" + r.name + ": is required (" + r.help + ")");
      std::string arg;
      for (char c : r.name) arg += c == '-' ? '_' : static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
      throw std::invalid_argument(arg + " is missing (" + r.help + ")");
    }
    if (r.check)
      if (std::string why = r.check(o); !why.empty()) throw std::invalid_argument("--" + r.name + ": " + why);
  }
}

// ---- config files: "name = value" lines ----
//
// A value is written bare when it reads back as it is, else in double quotes with \\ \" \n \r \t escapes
// (a path holding '#', which would start a comment, or a newline). Bytes outside ASCII pass through as they are.

inline std::string quote_config_value(std::string_view v) {
  const bool bare = v.find_first_of("#\"\\\n\r\t") == std::string_view::npos &&
                    (v.empty() || (v.front() != ' ' && v.back() != ' '));
  if (bare) return std::string(v);
  std::string q = "\"";
  for (char c : v) {
    switch (c) {
      case '"': q += "\\\""; break;
      case '\\': q += "\\\\"; break;
      case '\n': q += "\\n"; break;
      case '\r': q += "\\r"; break;
      case '\t': q += "\\t"; break;
      default: q += c;
    }
  }
  return q + "\"";
}

// "name = value" lines of every saved row, in table order, under a '#' title line: a config file that reads back.
template <class O>
std::string config_text(const Table<O>& t, const O& o, std::string_view title) {
  std::string s = "# " + std::string(title) + "\n";
  for (const auto& r : t)
    if (!r.has(kNotSaved) && !r.has(kPositional)) s += r.name + " = " + quote_config_value(r.get(o)) + "\n";
  return s;
}

struct ConfigEntry {
  std::string name, value;
  int line = 0;  // 1-based, for messages
};

namespace detail {

inline std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r"), e = s.find_last_not_of(" \t\r");
  return b == std::string_view::npos ? std::string() : std::string(s.substr(b, e - b + 1));
}

// The value after '=': quoted (escapes decoded; only a comment may follow) or bare (up to a '#' comment, trimmed).
inline std::string config_value(std::string_view v, int line) {
  const auto start = v.find_first_not_of(" \t");
  if (start == std::string_view::npos) return {};
  v.remove_prefix(start);
  if (v.front() != '"') return trim(v.substr(0, v.find('#')));
  std::string out;
  size_t i = 1;
  for (; i < v.size() && v[i] != '"'; ++i) {
    if (v[i] != '\\') {
      out += v[i];
      continue;
    }
    if (++i == v.size()) break;  // a backslash at the end: the closing quote is missing
    const char e = v[i];
    const char* decoded = e == 'n' ? "\n" : e == 'r' ? "\r" : e == 't' ? "\t" : e == '"' ? "\"" : e == '\\' ? "\\" : nullptr;
    if (!decoded) throw std::invalid_argument("line " + std::to_string(line) + ": unknown escape '\\" + std::string(1, e) + "'");
    out += decoded;
  }
  if (i >= v.size()) throw std::invalid_argument("line " + std::to_string(line) + ": the closing '\"' is missing");
  const std::string rest = trim(v.substr(i + 1));
  if (!rest.empty() && rest.front() != '#')
    throw std::invalid_argument("line " + std::to_string(line) + ": '" + rest + "' after the quoted value");
  return out;
}

}  // namespace detail

// The entries of a config file, in order: blank lines and '#' comments are skipped. Throws std::invalid_argument
// ("line N: why") for a line that is not "name = value" or a malformed quoted value.
inline std::vector<ConfigEntry> parse_config_entries(std::string_view text) {
  std::vector<ConfigEntry> entries;
  for (int line = 1; !text.empty(); ++line) {
    const auto nl = text.find('\n');
    const std::string_view l = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    const std::string t = detail::trim(l);
    if (t.empty() || t.front() == '#') continue;
    const auto eq = l.find('=');
    const std::string name = eq == std::string_view::npos ? std::string() : detail::trim(l.substr(0, eq));
    if (name.empty() || name.find_first_of("#\"[") != std::string::npos)
      throw std::invalid_argument("line " + std::to_string(line) + ": expected 'name = value', got '" + t + "'");
    entries.push_back({name, detail::config_value(l.substr(eq + 1), line), line});
  }
  return entries;
}

// The same as (name, value) pairs.
inline std::vector<std::pair<std::string, std::string>> parse_config_text(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> kv;
  for (auto& e : parse_config_entries(text)) kv.emplace_back(std::move(e.name), std::move(e.value));
  return kv;
}

// A saved value of an option that shapes the computation and differs from the current one.
struct Change {
  std::string name, saved, now;
};

// A saved value as the row writes it ("2e-4" -> "0.0002"), or the text itself when the row cannot parse it.
template <class O>
std::string canonical_text(const Row<O>& r, const std::string& saved) {
  try {
    O probe{};
    r.set(probe, saved);
    return r.get(probe);
  } catch (const std::invalid_argument&) {
    return saved;
  }
}

// The first kShapes row whose saved text (a parsed config file) differs from `now`, both in canonical text.
// A saved value the row cannot parse counts as a change. Options missing from `saved` are not compared.
template <class O>
std::optional<Change> first_shape_change(const Table<O>& t, const std::vector<std::pair<std::string, std::string>>& saved,
                                         const O& now) {
  for (const auto& r : t) {
    if (!r.has(kShapes)) continue;
    for (const auto& [k, v] : saved)
      if (k == r.name && canonical_text(r, v) != r.get(now)) return Change{r.name, v, r.get(now)};
  }
  return std::nullopt;
}

}  // namespace opt
