#include "domain/schedule.hpp"

namespace lontar::domain {

ScheduleSet default_schedule() {
  ScheduleSet s;
  s.effective = Date{2018, 1, 1};
  s.items = {
      {Programme::jkk, 0, 10'000},
      {Programme::jkm, 24'000'000, 6'800},
      {Programme::jht, 0, 20'000},
  };
  return s;
}

}  // namespace lontar::domain
