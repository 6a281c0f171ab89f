// private_file.hpp — files and folders that hold personal data (UU 27/2022).
//
// Every file Lontar writes that holds personal data (stores and their WAL/SHM
// files, exports, rejects files, receipts bundles, backups, tile exports'
// entries) is created readable and writable by its owner only (0600), and its
// folders 0700, whatever the process umask: the mode is given at creation and
// set again with fchmod/chmod, which the umask does not touch.
#pragma once

#include <cstdio>
#include <filesystem>

#include "base/result.hpp"

namespace lontar {

constexpr unsigned private_file_mode = 0600;
constexpr unsigned private_dir_mode = 0700;

// Creates `path` with mode 0600 and opens it for writing ("wb"); an existing
// file is truncated, or with `exclusive` refused (as fopen's "wbx"). The caller
// owns the FILE and closes it.
Result<std::FILE*> create_private_file(const std::filesystem::path& path, bool exclusive = false);

// Makes sure `path` exists with mode 0600 without changing its contents (an
// empty file is created if it is missing): call it before SQLite opens a store,
// and SQLite gives the store's -wal and -shm files the same mode.
Status ensure_private_file(const std::filesystem::path& path);

// Creates the folder `path` (and missing parents) and sets the folder itself to 0700.
Status ensure_private_dir(const std::filesystem::path& path);

}  // namespace lontar
