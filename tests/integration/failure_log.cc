// The failure-log listener (see failure_log.h).
#include "failure_log.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <mutex>
#include <vector>

namespace kite::it {
namespace {

constexpr std::size_t kTailBytes = 24 * 1024;

std::mutex logs_mutex;
std::vector<std::string> logs;

struct FailureLogListener : doctest::IReporter {
  explicit FailureLogListener(const doctest::ContextOptions&) {}
  void report_query(const doctest::QueryData&) override {}
  void test_run_start() override {}
  void test_run_end(const doctest::TestRunStats&) override {}
  void test_case_start(const doctest::TestCaseData&) override {
    std::lock_guard lock(logs_mutex);
    logs.clear();
  }
  void test_case_reenter(const doctest::TestCaseData&) override {}
  void test_case_end(const doctest::CurrentTestCaseStats& stats) override {
    std::lock_guard lock(logs_mutex);
    if (!stats.testCaseSuccess)
      for (const auto& text : logs) std::fprintf(stderr, "%s\n", text.c_str());
    logs.clear();
  }
  void test_case_exception(const doctest::TestCaseException&) override {}
  void subcase_start(const doctest::SubcaseSignature&) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData&) override {}
  void log_message(const doctest::MessageData&) override {}
  void test_case_skipped(const doctest::TestCaseData&) override {}
};

}  // namespace

void keep_log_for_failure(const std::string& label, const std::string& log) {
  std::string tail = log.size() > kTailBytes ? "...\n" + log.substr(log.size() - kTailBytes) : log;
  std::lock_guard lock(logs_mutex);
  logs.push_back("----- " + label + " -----\n" + tail + "----- end of " + label + " -----");
}

}  // namespace kite::it

REGISTER_LISTENER("kite-failure-log", 1, kite::it::FailureLogListener);
