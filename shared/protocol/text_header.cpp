#include "protocol/text_header.hpp"

namespace lontar::protocol {

TextHeader read_text_header(std::istream& in, std::size_t bytes_max) {
  const std::streampos start = in.tellg();
  std::string head(bytes_max, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<std::size_t>(in.gcount()));
  TextHeader h;
  std::size_t at = 0;
  for (;;) {
    const std::size_t eol = head.find('\n', at);
    if (eol == std::string::npos) return h;
    if (eol == at && at != 0) break;  // the empty line (a first line may not be empty)
    h.lines.push_back(head.substr(at, eol - at));
    at = eol + 1;
  }
  h.bytes = at + 1;
  h.ended = true;
  in.clear();
  in.seekg(start + static_cast<std::streamoff>(h.bytes));
  return h;
}

}  // namespace lontar::protocol
