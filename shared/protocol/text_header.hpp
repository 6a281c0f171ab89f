// text_header.hpp — the text header that opens the files carried on a stick (the
// office export, docs/FORMAT.md §7, and the receipts bundle, §8): lines up to the
// first empty line, read within a byte limit so that a file with no line breaks
// cannot make a reader take it all into memory.
#pragma once

#include <cstddef>
#include <istream>
#include <string>
#include <vector>

namespace lontar::protocol {

struct TextHeader {
  std::vector<std::string> lines;  // the lines before the empty one, the magic line first
  std::size_t bytes = 0;           // the header's size, the empty line included
  bool ended = false;              // an empty line was found within the limit
};

// Reads at most `bytes_max` bytes from `in`. When `ended`, `in` is left at the first
// byte after the empty line; otherwise `lines` holds the complete lines read.
TextHeader read_text_header(std::istream& in, std::size_t bytes_max);

}  // namespace lontar::protocol
