// i18n.hpp — the one message catalog of Lontar: Bahasa Indonesia first, English second.
//
// Every clerk- or auditor-facing string lives in one table (i18n.cpp) keyed by a
// stable id ("record.recorded", "reason.above_schedule", ...), with its Indonesian
// and English text. The agent's CLI, its web page and the auditor's HTML report all
// read the same table, so a message says the same thing wherever it is shown.
// Texts are fmt format strings: positional "{}" arguments, the same count and order
// in both languages.
//
// Money is written as "Rp 24.000.000" in both languages (the rupiah's own
// convention); dates as "17 Agustus 2018" / "17 August 2018".
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lontar::i18n {

enum class Lang { id, en };

// "id" or "en".
std::string_view lang_code(Lang l);
// "id"/"in"/"id_ID..." -> id; "en..." -> en; anything else nullopt.
std::optional<Lang> parse_lang(std::string_view text);
// The language of a POSIX locale value as found in LANG/LC_*: "id_ID.UTF-8" -> id.
// Empty, "C", "POSIX" or any other language -> nullopt.
std::optional<Lang> lang_of_locale(std::string_view locale);
// The CLI's language, by POSIX precedence: the first non-empty of LC_ALL,
// LC_MESSAGES, LANG decides; Indonesian when it names Indonesian, else English
// (the CLI's default: scripts, logs and admins read English; the web page defaults
// to Indonesian). See README "Language".
Lang lang_from_env();

// The text of `key` in `lang`; the key itself when the catalog lacks it (a test
// checks that every key used exists in both languages).
std::string_view text(Lang lang, std::string_view key);
// Whether the catalog has `key`.
bool has(std::string_view key);
// Every key of the catalog, in table order (for tests and the web page's script).
std::size_t size();
std::string_view key_at(std::size_t i);

// text(lang, key) formatted with `args`.
template <class... A>
std::string tr(Lang lang, std::string_view key, A&&... args) {
  return fmt::vformat(text(lang, key), fmt::make_format_args(args...));
}

// The text of a rules reason code: Indonesian from the catalog ("reason.<code>"),
// English the engine's own `original` text (which carries the amounts), or the
// catalog's English when `original` is empty.
std::string reason_text(Lang lang, std::string_view code, std::string_view original);
// What a clerk should do about a reason ("hint.<code>"); empty when there is no hint.
std::string_view reason_hint(Lang lang, std::string_view code);

// "Rp 24.000.000"; negative amounts "-Rp 5.000".
std::string rupiah(std::int64_t amount);
// "17 Agustus 2018" / "17 August 2018". Requires 1 <= month <= 12.
std::string date(Lang lang, int year, int month, int day);
// "Agustus 2018" / "August 2018" from "YYYY-MM"; other text unchanged.
std::string month_label(Lang lang, std::string_view year_month);
// The name of month 1..12.
std::string_view month_name(Lang lang, int month);
// "17 Agustus 2018 14:05 UTC" from Unix milliseconds.
std::string timestamp(Lang lang, std::int64_t unix_ms);

}  // namespace lontar::i18n
