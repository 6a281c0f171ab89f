// The message catalog: both languages for every key, the same placeholders in
// both, Indonesian text for every rules reason, money and dates as clerks write them.
#include <doctest/doctest.h>

#include <string>

#include "i18n/i18n.hpp"
#include "rules/rules.hpp"

using namespace lontar;
using i18n::Lang;

namespace {
int placeholders(std::string_view s) {
  int n = 0;
  for (std::size_t i = 0; i + 1 < s.size(); ++i) {
    if (s[i] == '{' && s[i + 1] == '}') ++n;
  }
  return n;
}
}  // namespace

TEST_CASE("every catalog key has text in both languages with the same placeholders") {
  REQUIRE(i18n::size() > 50);
  for (std::size_t i = 0; i < i18n::size(); ++i) {
    const auto key = i18n::key_at(i);
    CAPTURE(key);
    const auto id = i18n::text(Lang::id, key);
    const auto en = i18n::text(Lang::en, key);
    CHECK(!id.empty());
    CHECK(!en.empty());
    CHECK(placeholders(id) == placeholders(en));
  }
}

TEST_CASE("every rules reason code has Indonesian text, and English keeps the engine's own text") {
  for (auto code : rules::reason::all) {
    CAPTURE(code);
    CHECK(i18n::has("reason." + std::string(code)));
    CHECK(i18n::reason_text(Lang::id, code, "engine text") != "engine text");
    CHECK(i18n::reason_text(Lang::en, code, "engine text") == "engine text");
  }
  CHECK(i18n::reason_text(Lang::id, "above_schedule", "payout 30000000 above 24000000") ==
        "pembayaran melebihi manfaat menurut jadwal");
  CHECK(i18n::reason_text(Lang::id, "not_a_code", "raw") == "raw");
}

TEST_CASE("money is written Rp 24.000.000 and dates 17 Agustus 2018") {
  CHECK(i18n::rupiah(24'000'000) == "Rp 24.000.000");
  CHECK(i18n::rupiah(0) == "Rp 0");
  CHECK(i18n::rupiah(999) == "Rp 999");
  CHECK(i18n::rupiah(1000) == "Rp 1.000");
  CHECK(i18n::rupiah(-5000) == "-Rp 5.000");
  CHECK(i18n::rupiah(INT64_MIN) == "-Rp 9.223.372.036.854.775.808");
  CHECK(i18n::date(Lang::id, 2018, 8, 17) == "17 Agustus 2018");
  CHECK(i18n::date(Lang::en, 2018, 8, 17) == "17 August 2018");
  CHECK(i18n::date(Lang::id, 2018, 5, 14) == "14 Mei 2018");
  CHECK(i18n::month_label(Lang::id, "2018-05") == "Mei 2018");
  CHECK(i18n::month_label(Lang::en, "unknown") == "unknown");
  CHECK(i18n::timestamp(Lang::id, 1534464000000) == "17 Agustus 2018 00:00 UTC");
}

TEST_CASE("the language comes from a POSIX locale name") {
  CHECK(i18n::lang_of_locale("id_ID.UTF-8") == Lang::id);
  CHECK(i18n::lang_of_locale("id") == Lang::id);
  CHECK(i18n::lang_of_locale("en_US.UTF-8") == Lang::en);
  CHECK(!i18n::lang_of_locale("C.UTF-8"));
  CHECK(!i18n::lang_of_locale("POSIX"));
  CHECK(!i18n::lang_of_locale("ida_XX"));
  CHECK(i18n::parse_lang("en") == Lang::en);
  CHECK(!i18n::parse_lang("fr"));
}

TEST_CASE("a formatted message fills its placeholders in order") {
  CHECK(i18n::tr(Lang::id, "clerk.added", "siti") == "petugas siti ditambahkan");
  CHECK(i18n::tr(Lang::en, "clerk.added", "siti") == "clerk siti added");
  CHECK(i18n::text(Lang::en, "no.such.key") == "no.such.key");
}
