// A leaf subcommand of `kite` and what runs it once the command line has been parsed. Each
// command file registers its subcommands with an add_*_commands() function; the options live in
// a shared_ptr captured by `run`, so they outlive parsing.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <vector>

namespace kite::cli {

struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;  // returns an ExitCode
};
using Commands = std::vector<Command>;

}  // namespace kite::cli
