// import_job.hpp — a partner list imported from the web page, beside the page.
//
// The clerk uploads a CSV file (multipart/form-data); it is kept in the data folder
// (web-imports/, 0700; the file and its rejects 0600) and goes through agent/import.cpp
// twice: first as a preview (ImportOptions::dry_run: every row checked and judged, the
// rejects file written, nothing recorded), then, once the clerk confirms, for real. Each
// pass runs on its own thread over its own connection to the store (open_office), so that
// the page keeps answering — the progress bar polls — while SQLite's write lock keeps
// other writers waiting until the import's single commit.
#pragma once

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "import.hpp"

namespace lontar::agent::web {

// A multipart/form-data body: its text fields and its (first) file.
struct Multipart {
  std::map<std::string, std::string> fields;
  std::string file_name;
  std::string file;  // the file's bytes
  bool has_file = false;
};
Result<Multipart> parse_multipart(std::string_view content_type, std::string_view body);

class ImportJob {
 public:
  // Starts importing `options.file` (as a preview when `dry_run`) on a new thread, over a
  // store connection of its own opened from `data_dir`.
  static std::unique_ptr<ImportJob> start(std::string id, const std::filesystem::path& data_dir,
                                          const std::optional<std::string>& passphrase, ImportOptions options,
                                          bool dry_run);
  ~ImportJob();  // stops the import if it still runs (nothing recorded) and waits for its thread
  ImportJob(const ImportJob&) = delete;
  ImportJob& operator=(const ImportJob&) = delete;

  const std::string& id() const { return id_; }
  const ImportOptions& options() const { return options_; }
  bool dry_run() const { return dry_run_; }
  ImportProgress progress() const;
  bool done() const { return done_.load(); }
  // Once done(): what the import said.
  const Result<ImportSummary>& result() const { return *result_; }
  void stop() { stop_ = true; }

 private:
  ImportJob(std::string id, ImportOptions options, bool dry_run)
      : id_(std::move(id)), options_(std::move(options)), dry_run_(dry_run) {}
  void run(std::filesystem::path data_dir, std::optional<std::string> passphrase);

  std::string id_;
  ImportOptions options_;
  bool dry_run_;
  mutable std::mutex mu_;
  ImportProgress progress_;
  std::optional<Result<ImportSummary>> result_;
  std::atomic<bool> done_{false};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace lontar::agent::web
