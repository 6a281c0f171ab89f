#include "findings.hpp"

#include <cstdio>

namespace lontar::audit {

void Findings::add(Finding f) {
  ++total_;
  ++by_check_[f.check];
  if (kept_.size() < findings_kept_max) kept_.push_back(std::move(f));
}

void Findings::merge(const Findings& other) {
  for (const auto& f : other.kept_) {
    if (kept_.size() < findings_kept_max) kept_.push_back(f);
  }
  for (const auto& [code, n] : other.by_check_) by_check_[code] += n;
  total_ += other.total_;
}

std::string to_line(const Finding& f) {
  std::string out;
  if (f.leaf) out += "leaf " + std::to_string(*f.leaf) + " ";
  if (!f.office.empty()) out += "office " + f.office + " ";
  if (f.seq) out += "seq " + std::to_string(*f.seq) + " ";
  out += f.check + ": " + f.message;
  return out;
}

std::string to_json(const Finding& f) {
  std::string out = "{\"check\":" + json_string(f.check);
  out += ",\"leaf\":" + (f.leaf ? std::to_string(*f.leaf) : std::string("null"));
  out += ",\"office\":" + (f.office.empty() ? std::string("null") : json_string(f.office));
  out += ",\"seq\":" + (f.seq ? std::to_string(*f.seq) : std::string("null"));
  out += ",\"message\":" + json_string(f.message) + "}";
  return out;
}

}  // namespace lontar::audit
