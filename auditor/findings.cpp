#include "findings.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>

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

void to_json(nlohmann::ordered_json& j, const Finding& f) {
  j = nlohmann::ordered_json::object();
  j["check"] = f.check;
  j["leaf"] = f.leaf ? nlohmann::ordered_json(*f.leaf) : nlohmann::ordered_json(nullptr);
  j["office"] = f.office.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(f.office);
  j["seq"] = f.seq ? nlohmann::ordered_json(*f.seq) : nlohmann::ordered_json(nullptr);
  j["message"] = f.message;
}

}  // namespace lontar::audit
