// Small text helpers shared by the config readers and writers: TOML string quoting (also used to
// quote values in error messages, so a hostile value cannot forge a line), node descriptions for
// "expected X, got Y" messages, and whitespace trimming.
#pragma once

#include <string>
#include <string_view>

#include <toml++/toml.h>

namespace kite::server::config {

// `text` as a TOML basic string: in quotes, with quotes, backslashes and control chars escaped.
std::string toml_quoted(std::string_view text);

// A string node as its quoted value, any other node as its type ("an integer", "a table", ...).
std::string describe_node(const toml::node& node);

std::string_view trim(std::string_view text);

}  // namespace kite::server::config
