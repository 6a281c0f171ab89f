#include "web/import_job.hpp"

#include <fmt/format.h>

namespace lontar::agent::web {
namespace {

// The value of `key` in a header value like `form-data; name="file"; filename="a.csv"`.
std::string parameter(std::string_view header, std::string_view key) {
  const std::string needle = std::string(key) + "=";
  std::size_t pos = 0;
  while ((pos = header.find(needle, pos)) != std::string_view::npos) {
    if (pos == 0 || header[pos - 1] == ';' || header[pos - 1] == ' ') break;
    pos += needle.size();
  }
  if (pos == std::string_view::npos) return "";
  pos += needle.size();
  if (pos < header.size() && header[pos] == '"') {
    const auto end = header.find('"', pos + 1);
    return std::string(header.substr(pos + 1, end == std::string_view::npos ? end : end - pos - 1));
  }
  const auto end = header.find(';', pos);
  return std::string(header.substr(pos, end == std::string_view::npos ? end : end - pos));
}

}  // namespace

Result<Multipart> parse_multipart(std::string_view content_type, std::string_view body) {
  const std::string boundary = parameter(content_type, "boundary");
  if (boundary.empty() || boundary.size() > 200) return Error{Code::bad_input, "multipart body without a boundary"};
  const std::string delimiter = "--" + boundary;
  Multipart out;
  std::size_t pos = body.find(delimiter);
  if (pos == std::string_view::npos) return Error{Code::bad_input, "multipart body without its boundary"};
  for (;;) {
    pos += delimiter.size();
    if (body.substr(pos, 2) == "--") break;  // the closing delimiter
    if (body.substr(pos, 2) != "\r\n") return Error{Code::bad_input, "malformed multipart body"};
    pos += 2;
    const auto head_end = body.find("\r\n\r\n", pos);
    if (head_end == std::string_view::npos) return Error{Code::bad_input, "multipart part without headers' end"};
    const std::string_view head = body.substr(pos, head_end - pos);
    const auto next = body.find("\r\n" + delimiter, head_end + 4);
    if (next == std::string_view::npos) return Error{Code::bad_input, "multipart part without its end"};
    const std::string_view content = body.substr(head_end + 4, next - head_end - 4);
    std::string disposition;
    std::size_t line = 0;
    while (line < head.size()) {
      auto end = head.find("\r\n", line);
      if (end == std::string_view::npos) end = head.size();
      const std::string_view h = head.substr(line, end - line);
      if (h.size() > 20 && (h.substr(0, 20) == "Content-Disposition:" || h.substr(0, 20) == "content-disposition:")) {
        disposition = std::string(h.substr(20));
      }
      line = end + 2;
    }
    const std::string name = parameter(disposition, "name");
    if (disposition.find("filename=") != std::string::npos) {
      if (!out.has_file) {
        out.has_file = true;
        out.file_name = parameter(disposition, "filename");
        out.file = std::string(content);
      }
    } else if (!name.empty()) {
      out.fields[name] = std::string(content.substr(0, 4096));
    }
    pos = next + 2;
  }
  return out;
}

std::unique_ptr<ImportJob> ImportJob::start(std::string id, const std::filesystem::path& data_dir,
                                            const std::optional<std::string>& passphrase, ImportOptions options,
                                            bool dry_run) {
  std::unique_ptr<ImportJob> job(new ImportJob(std::move(id), std::move(options), dry_run));
  job->thread_ = std::thread([j = job.get(), data_dir, passphrase] { j->run(data_dir, passphrase); });
  return job;
}

ImportJob::~ImportJob() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

ImportProgress ImportJob::progress() const {
  std::lock_guard lock(mu_);
  return progress_;
}

void ImportJob::run(std::filesystem::path data_dir, std::optional<std::string> passphrase) {
  ImportOptions o = options_;
  o.dry_run = dry_run_;
  o.progress = false;
  o.on_progress = [this](const ImportProgress& p) {
    std::lock_guard lock(mu_);
    progress_ = p;
    return !stop_.load();
  };
  auto office = open_office(data_dir, passphrase);
  if (!office.ok()) {
    result_.emplace(std::move(office).error());
  } else {
    result_.emplace(import_csv(*office, o));
  }
  done_ = true;
}

}  // namespace lontar::agent::web
