// `kite listen --on-command SCRIPT`: a command from a backend runs SCRIPT with the command's name
// as its first argument and its payload on stdin; what SCRIPT prints on stdout is the reply
// payload and its exit status the reply status (0 = success). Its stderr is kite's.
//
// The SDK takes the reply as the command handler's return value, so the script runs while the
// client's loop waits; it is bounded by the command's timeout_ms, less a margin so that a
// "timed out" reply still reaches the backend before the backend gives up waiting.
#pragma once

#include <cstdint>
#include <string>

#include "kite/client.h"

namespace kite::cli {

// Reply statuses kite gives when the script cannot answer itself (the shell's numbers).
inline constexpr std::uint16_t kScriptTimedOut = 124;  // killed: past its time (as `timeout`)
inline constexpr std::uint16_t kScriptFailed = 125;    // kite could not run it, or too much output
inline constexpr std::uint16_t kScriptNotExecutable = 126;  // there, but not runnable
inline constexpr std::uint16_t kScriptNotFound = 127;       // no such file
inline constexpr std::uint16_t kScriptSignalBase = 128;     // 128 + N: ended by signal N

// Output beyond this is not a reply (kited's frames are 256 KiB at most by default).
inline constexpr std::size_t kMaxScriptOutput = 64u << 10;

// How long the script may run for a command with `timeout_ms`: 10% of it (at most 1 s) is left
// for the reply to travel back.
std::uint32_t script_budget_ms(std::uint32_t timeout_ms);

// Runs `script` (a path, or a name looked up in PATH) for `command`. Never throws; a script that
// cannot start, runs past its budget (killed with its process group), is ended by a signal or
// prints too much gives one of the statuses above and a message saying what happened.
Reply run_command_script(const std::string& script, const Command& command);

}  // namespace kite::cli
