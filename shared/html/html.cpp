#include "html.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace lontar::html {

std::string_view print_style() {
  return R"css(
@page { size: A4; margin: 14mm; }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; font-size: 12px; color: #111;
       max-width: 190mm; margin: 0 auto; padding: 8px; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 15px; margin: 18px 0 6px; border-bottom: 1px solid #999; }
table { border-collapse: collapse; width: 100%; margin: 4px 0 10px; }
th, td { border: 1px solid #bbb; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #eef2f6; } td.n { text-align: right; white-space: nowrap; }
tr, figure { break-inside: avoid; page-break-inside: avoid; }
thead { display: table-header-group; }
.mono { font-family: "DejaVu Sans Mono", monospace; word-break: break-all; }
figure { margin: 8px 0 14px; } figcaption { font-weight: bold; margin-bottom: 4px; }
.muted { color: #555; }
)css";
}

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string bar_chart(const std::vector<Bar>& input, const ChartOptions& o, std::string_view empty_text) {
  constexpr int bar_px = 18, gap_px = 6, top_px = 6, value_px = 110;
  std::vector<Bar> bars(input.begin(), input.begin() + static_cast<std::ptrdiff_t>(std::min(input.size(), o.bars_max)));
  if (input.size() > o.bars_max) {
    Bar rest{fmt::format("{} ({})", o.more_label, input.size() - o.bars_max), 0, -1, false};
    for (std::size_t i = o.bars_max; i < input.size(); ++i) rest.value += input[i].value;
    bars.push_back(std::move(rest));
  }
  auto fmt_value = [&](std::int64_t v) { return o.format ? o.format(v) : std::to_string(v); };
  std::string out = fmt::format("<figure class=\"chart\"><figcaption>{}</figcaption>\n", escape(o.title));
  if (bars.empty()) return out + fmt::format("<p class=\"empty\">{}</p></figure>\n", escape(empty_text));
  std::int64_t max = 1;
  for (const auto& b : bars) max = std::max({max, b.value, b.mark});
  const int plot_px = std::max(40, o.width_px - o.label_px - value_px);
  const int height_px = top_px * 2 + static_cast<int>(bars.size()) * (bar_px + gap_px);
  out += fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "font-family=\"sans-serif\" font-size=\"12\"><title>{2}</title>\n",
      o.width_px, height_px, escape(o.title));
  auto scale = [&](std::int64_t v) {
    return static_cast<int>(static_cast<double>(std::max<std::int64_t>(v, 0)) / static_cast<double>(max) * plot_px);
  };
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const auto& b = bars[i];
    const int y = top_px + static_cast<int>(i) * (bar_px + gap_px);
    const int w = std::max(1, scale(b.value));
    out += fmt::format(
        "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>"
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"/>"
        "<text x=\"{}\" y=\"{}\">{}</text>\n",
        o.label_px - 6, y + bar_px - 5, escape(b.label), o.label_px, y, w, bar_px, b.alert ? "#c0392b" : "#2e6da4",
        o.label_px + w + 4, y + bar_px - 5, escape(fmt_value(b.value)));
    if (b.mark >= 0) {
      const int x = o.label_px + scale(b.mark);
      out += fmt::format(
          "<line x1=\"{0}\" x2=\"{0}\" y1=\"{1}\" y2=\"{2}\" stroke=\"#222\" stroke-width=\"2\" "
          "stroke-dasharray=\"3,2\"/>\n",
          x, y - 2, y + bar_px + 2);
    }
  }
  out += "</svg></figure>\n";
  return out;
}

}  // namespace lontar::html
