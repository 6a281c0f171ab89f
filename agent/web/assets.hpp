// assets.hpp — the web page's static files (agent/web/assets/), embedded in the
// binary at build time by embed.cmake: nothing is read from disk or fetched at run time.
#pragma once

#include <cstddef>
#include <string_view>

namespace lontar::agent::web {

struct Asset {
  std::string_view name;          // "app.css"
  std::string_view content_type;  // "text/css; charset=utf-8"
  const char* data;
  std::size_t size;
  std::string_view bytes() const { return {data, size}; }
};

// The asset called `name` (no folder), or nullptr.
const Asset* find_asset(std::string_view name);

}  // namespace lontar::agent::web
