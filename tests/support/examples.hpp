// examples.hpp — fixtures shared by the core tests: the fixed enrollment of
// docs/FORMAT.md and small helpers for checking what a refusal says.
#pragma once

#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "base/result.hpp"
#include "domain/domain.hpp"

namespace lontar::test {

// A Tagana volunteer from Kota Surabaya, enrolled at the May 2018 event: the
// entry of docs/FORMAT.md's fixed examples. Tests that need another person
// change the NIK (and what else they need) on a copy.
inline domain::ParticipantEnroll tagana_volunteer() {
  using namespace domain;
  ParticipantEnroll e;
  e.nik = "3578121703850002";
  e.name = "Agus Setiawan";
  e.birth_date = {1985, 3, 17};
  e.sex = Sex::male;
  e.regency_code = "3578";
  e.occupation = "TAGANA";
  e.sponsor = "DINSOS-JATIM";
  e.declared_income = 1'500'000;
  e.programmes = programme_bit(Programme::jkk) | programme_bit(Programme::jkm);
  e.coverage_start = {2018, 5, 1};
  e.heirs = {Heir{"Sri Wahyuni", "spouse", ""}};
  e.phone = "081234567890";
  e.address = "Jl. Rungkut Asri 5, Surabaya";
  return e;
}

// The message of a refusal, for checks on what it says (the result must be an error).
template <class T>
std::string refusal(const Result<T>& r) {
  REQUIRE_FALSE(r.ok());
  return r.error().message;
}

inline bool mentions(const std::string& message, std::string_view part) {
  return message.find(part) != std::string_view::npos;
}

}  // namespace lontar::test
