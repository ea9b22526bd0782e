// The typed builders of the field table's rows: each makes a row's TOML reader, text reader
// (environment, --set, flags), range check and writer from a pointer to the Config member, so a
// setting is described once (field_table.h). Used by the section files in fields/.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/field_table.h"
#include "config/toml_text.h"

namespace kite::server::config::fields {

template <typename S>
using SectionPtr = S Config::*;

// A row with its names and text; the builders below fill in its functions.
inline FieldSpec row(std::string_view section, std::string_view key, std::string_view doc,
                     bool secret) {
  FieldSpec field;
  field.section = section;
  field.key = key;
  field.doc = doc;
  field.secret = secret;
  return field;
}

template <typename S, typename T>
FieldSpec integer(std::string_view section, std::string_view key, SectionPtr<S> of, T S::*member,
                  std::int64_t min, std::int64_t max, std::string_view doc) {
  auto expected = fmt::format("expected an integer {}..{}", min, max);
  auto assign = [=](Config& c, std::int64_t value) -> std::string {
    if (value < min || value > max) return fmt::format("{}, got {}", expected, value);
    (c.*of).*member = static_cast<T>(value);
    return {};
  };
  FieldSpec field = row(section, key, doc, false);
  field.range = fmt::format("{}..{}", min, max);
  field.read_toml = [=](Config& c, const toml::node& node) {
    if (!node.is_integer()) return fmt::format("{}, got {}", expected, describe_node(node));
    return assign(c, node.as_integer()->get());
  };
  field.read_text = [=](Config& c, std::string_view text) {
    std::int64_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc{} || end != text.data() + text.size()) {
      return fmt::format("{}, got {}", expected, toml_quoted(text));
    }
    return assign(c, value);
  };
  field.check = [=](const Config& c) -> std::string {
    T value = (c.*of).*member;
    if (std::cmp_less(value, min) || std::cmp_greater(value, max)) {
      return fmt::format("{}, got {}", expected, value);
    }
    return {};
  };
  field.write_toml = [=](const Config& c) { return fmt::format("{}", (c.*of).*member); };
  return field;
}

template <typename S>
FieldSpec text(std::string_view section, std::string_view key, SectionPtr<S> of,
               std::string S::*member, std::string_view doc, bool secret = false) {
  FieldSpec field = row(section, key, doc, secret);
  field.read_toml = [=](Config& c, const toml::node& node) -> std::string {
    if (!node.is_string()) return "expected a string, got " + describe_node(node);
    (c.*of).*member = node.as_string()->get();
    return {};
  };
  field.read_text = [=](Config& c, std::string_view value) {
    (c.*of).*member = std::string(value);
    return std::string();
  };
  field.check = [](const Config&) { return std::string(); };
  field.write_toml = [=](const Config& c) { return toml_quoted((c.*of).*member); };
  return field;
}

template <typename S>
FieldSpec list(std::string_view section, std::string_view key, SectionPtr<S> of,
               std::vector<std::string> S::*member, std::string_view doc) {
  FieldSpec field = row(section, key, doc, false);
  field.read_toml = [=](Config& c, const toml::node& node) -> std::string {
    const toml::array* array = node.as_array();
    if (!array) return "expected an array of strings, got " + describe_node(node);
    std::vector<std::string> values;
    for (std::size_t i = 0; i < array->size(); ++i) {
      const toml::node& item = *array->get(i);
      if (!item.is_string()) {
        return fmt::format("expected an array of strings, got {} at index {}", describe_node(item),
                           i);
      }
      values.push_back(item.as_string()->get());
    }
    (c.*of).*member = std::move(values);
    return {};
  };
  field.read_text = [=](Config& c, std::string_view value) -> std::string {
    std::vector<std::string> values;
    while (!value.empty()) {
      auto comma = std::min(value.find(','), value.size());
      auto item = trim(value.substr(0, comma));
      if (item.empty()) return "expected a comma-separated list, got an empty item";
      values.emplace_back(item);
      value.remove_prefix(std::min(comma + 1, value.size()));
    }
    (c.*of).*member = std::move(values);
    return {};
  };
  field.check = [](const Config&) { return std::string(); };
  field.write_toml = [=](const Config& c) {
    std::string out = "[";
    for (const auto& item : (c.*of).*member)
      out += (out.size() > 1 ? ", " : "") + toml_quoted(item);
    return out + "]";
  };
  return field;
}

template <typename S, typename E>
FieldSpec choice(std::string_view section, std::string_view key, SectionPtr<S> of, E S::*member,
                 std::vector<std::pair<std::string_view, E>> names, std::string_view doc) {
  std::string expected = names.size() == 2 ? "expected " : "expected one of ";
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) expected += names.size() == 2 ? " or " : ", ";
    expected += toml_quoted(names[i].first);
  }
  auto assign = [=](Config& c, std::string_view value) -> std::string {
    for (const auto& [name, e] : names) {
      if (name == value) {
        (c.*of).*member = e;
        return {};
      }
    }
    return fmt::format("{}, got {}", expected, toml_quoted(value));
  };
  FieldSpec field = row(section, key, doc, false);
  field.read_toml = [=](Config& c, const toml::node& node) {
    if (!node.is_string()) return fmt::format("{}, got {}", expected, describe_node(node));
    return assign(c, node.as_string()->get());
  };
  field.read_text = assign;
  field.check = [](const Config&) { return std::string(); };
  field.write_toml = [=](const Config& c) {
    for (const auto& [name, e] : names) {
      if (e == (c.*of).*member) return toml_quoted(name);
    }
    return std::string("\"?\"");
  };
  return field;
}

template <typename S>
FieldSpec boolean(std::string_view section, std::string_view key, SectionPtr<S> of, bool S::*member,
                  std::string_view doc) {
  FieldSpec field = row(section, key, doc, false);
  field.read_toml = [=](Config& c, const toml::node& node) -> std::string {
    if (!node.is_boolean()) return "expected true or false, got " + describe_node(node);
    (c.*of).*member = node.as_boolean()->get();
    return {};
  };
  field.read_text = [=](Config& c, std::string_view value) -> std::string {
    if (value != "true" && value != "false")
      return "expected true or false, got " + toml_quoted(value);
    (c.*of).*member = value == "true";
    return {};
  };
  field.check = [](const Config&) { return std::string(); };
  field.write_toml = [=](const Config& c) {
    return std::string((c.*of).*member ? "true" : "false");
  };
  return field;
}

inline constexpr auto kServer = &Config::server;
inline constexpr auto kDevice = &Config::device;
inline constexpr auto kAuth = &Config::auth;
inline constexpr auto kAdmin = &Config::admin;
inline constexpr auto kTls = &Config::tls;
inline constexpr auto kWebSocket = &Config::websocket;
inline constexpr auto kSession = &Config::session;
inline constexpr auto kStore = &Config::store;
inline constexpr auto kRedis = &Config::redis;
inline constexpr auto kEvents = &Config::events;
inline constexpr auto kRecord = &Config::record;
inline constexpr auto kCompression = &Config::compression;
inline constexpr auto kLog = &Config::log;

}  // namespace kite::server::config::fields
