// html.hpp — writing HTML safely, and charts as inline SVG, for the pages Lontar
// draws itself (the auditor's report, the office's web page). No script, no
// external asset: a chart is plain SVG markup that prints as it shows.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace lontar::html {

// The style sheet Lontar's printable pages share (the auditor's report, the server's
// status page): A4 margins, system fonts, tables and charts that do not break across
// pages. A page appends its own rules after it.
std::string_view print_style();

// Text safe inside an element or a double-quoted attribute: & < > " ' escaped.
std::string escape(std::string_view text);

// One bar of a chart: its label, its value and an optional mark (a reference
// value drawn as a tick across the bar, e.g. the schedule's benefit).
struct Bar {
  std::string label;
  std::int64_t value = 0;
  std::int64_t mark = -1;  // < 0: no mark
  bool alert = false;      // drawn in the alert colour (e.g. above the mark)
};

struct ChartOptions {
  std::string title;          // shown above the chart (<figcaption>) and as the SVG's <title>
  int width_px = 640;         // the SVG's width; the height follows from the bars
  int label_px = 170;         // room for labels on the left
  std::size_t bars_max = 60;  // more bars are summed into one "... (N more)" bar
  std::string more_label = "...";
  // How a value is written next to its bar (default: the decimal number).
  std::function<std::string(std::int64_t)> format;
};

// A horizontal bar chart as a <figure> holding an inline <svg>. Bars keep their
// order; an empty list draws a chart that says so (`empty_text`).
std::string bar_chart(const std::vector<Bar>& bars, const ChartOptions& options, std::string_view empty_text);

}  // namespace lontar::html
