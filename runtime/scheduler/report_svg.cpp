// Layout, left to right: utilisation heat map (layers x devices) with memory
// bars under it; expert load (layers x experts, hottest first); the same
// experts coloured by the kind of device that serves them. Hot experts on the
// left of the last two panels should sit on fast devices.
#include "runtime/scheduler/report_svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <numeric>
#include <sstream>

namespace hexmoe::scheduler {
namespace {

struct Rgb {
  double r, g, b;
};

std::string hex(Rgb c) {
  char buffer[8];
  std::snprintf(buffer, sizeof(buffer), "#%02x%02x%02x", static_cast<int>(std::lround(c.r)),
                static_cast<int>(std::lround(c.g)), static_cast<int>(std::lround(c.b)));
  return buffer;
}

/// Viridis, from five anchors: perceptually even and readable in grey.
std::string viridis(double t) {
  static const Rgb anchors[] = {{68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}};
  t = std::clamp(t, 0.0, 1.0) * 4;
  int i = std::min(3, static_cast<int>(t));
  double f = t - i;
  const Rgb& a = anchors[i];
  const Rgb& b = anchors[i + 1];
  return hex({a.r + (b.r - a.r) * f, a.g + (b.g - a.g) * f, a.b + (b.b - a.b) * f});
}

std::string escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string fmt(const char* format, double v) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), format, v);
  return buffer;
}

/// Emits a row of cells, merging neighbours of the same colour.
void cellRow(std::ostringstream& svg, double x0, double y, double w, double h, const std::vector<std::string>& colours) {
  size_t start = 0;
  for (size_t i = 1; i <= colours.size(); ++i) {
    if (i < colours.size() && colours[i] == colours[start]) continue;
    svg << "<rect x=\"" << fmt("%.1f", x0 + start * w) << "\" y=\"" << fmt("%.1f", y) << "\" width=\""
        << fmt("%.2f", (i - start) * w) << "\" height=\"" << fmt("%.2f", h) << "\" fill=\"" << colours[start]
        << "\"/>\n";
    start = i;
  }
}

}  // namespace

std::string renderPlanSvg(const Plan& plan, const ReportOptions& options) {
  const PlanMetrics& m = plan.metrics;
  int layers = static_cast<int>(plan.layers.size());
  int devices = plan.pool.size();
  int experts = plan.model.num_experts;
  double row_h = std::clamp(560.0 / std::max(1, layers), 4.0, 16.0);
  double dev_w = std::clamp(360.0 / std::max(1, devices), 14.0, 40.0);
  double exp_w = std::clamp(360.0 / std::max(1, experts), 1.4, 24.0);
  double left = 60, top = 150;
  double panel_a = devices * dev_w, panel_b = experts * exp_w;
  double xa = left, xb = xa + panel_a + 50, xc = xb + panel_b + 30;
  double grid_h = layers * row_h;
  double width = xc + panel_b + 40;
  double height = top + grid_h + 200;

  // Colours per device kind, so that "hot experts on the fast GPUs" reads at once.
  static const char* palette[] = {"#1f77b4", "#2ca02c", "#ff7f0e", "#d62728", "#9467bd",
                                  "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"};
  std::map<std::string, std::string> kind_colour;
  std::vector<std::string> kinds;
  for (const DeviceSpec& d : plan.pool.devices) {
    if (kind_colour.count(d.kind)) continue;
    kind_colour[d.kind] = palette[kinds.size() % 10];
    kinds.push_back(d.kind);
  }

  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << fmt("%.0f", width) << "\" height=\""
      << fmt("%.0f", height) << "\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"11\" shape-rendering=\"crispEdges\">\n";
  svg << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  std::string title = "hexmoe plan: " + plan.model.name + " on " + plan.pool.name;
  svg << "<text x=\"" << left << "\" y=\"26\" font-size=\"17\" font-weight=\"bold\">" << escape(title) << "</text>\n";
  std::string line = std::string(plan.algorithm) + " algorithm, " + objectiveName(plan.options.objective) +
                     " objective, " + fmt("%.0f", plan.options.tokens_per_step) + " tokens per step, load " +
                     plan.load.description;
  svg << "<text x=\"" << left << "\" y=\"46\" fill=\"#444\">" << escape(line) << "</text>\n";
  std::string summary = "predicted step " + fmt("%.3f", m.step_seconds * 1e3) + " ms";
  if (plan.lower_bound_seconds > 0) {
    summary += "   lower bound " + fmt("%.3f", plan.lower_bound_seconds * 1e3) + " ms (" +
               fmt("%.1f", 100.0 * (m.step_seconds / plan.lower_bound_seconds - 1)) + "% above)";
  }
  for (const auto& [label, seconds] : options.comparisons) {
    summary += "   " + label + " " + fmt("%.3f", seconds * 1e3) + " ms (x" + fmt("%.2f", seconds / m.step_seconds) + ")";
  }
  svg << "<text x=\"" << left << "\" y=\"68\" font-size=\"13\">" << escape(summary) << "</text>\n";
  if (!m.fits_memory) {
    svg << "<text x=\"" << left << "\" y=\"86\" fill=\"#c00\">does not fit the devices' memory</text>\n";
  }

  // Panel titles.
  svg << "<text x=\"" << xa << "\" y=\"" << top - 62 << "\" font-weight=\"bold\">Device utilisation per MoE layer</text>\n";
  svg << "<text x=\"" << xb << "\" y=\"" << top - 62 << "\" font-weight=\"bold\">Expert load, hottest first</text>\n";
  svg << "<text x=\"" << xc << "\" y=\"" << top - 62 << "\" font-weight=\"bold\">Served by (device kind)</text>\n";

  // Device names, rotated.
  for (int d = 0; d < devices; ++d) {
    double x = xa + (d + 0.6) * dev_w;
    svg << "<text transform=\"translate(" << fmt("%.1f", x) << "," << top - 4 << ") rotate(-60)\" font-size=\"9\""
        << (plan.pool.devices[d].lost ? " fill=\"#c00\"" : "") << ">" << escape(plan.pool.devices[d].name)
        << (plan.pool.devices[d].lost ? " (lost)" : "") << "</text>\n";
  }
  // Layer labels.
  int label_every = std::max(1, static_cast<int>(std::ceil(11.0 / row_h)));
  for (int l = 0; l < layers; l += label_every) {
    svg << "<text x=\"" << xa - 6 << "\" y=\"" << fmt("%.1f", top + (l + 0.8) * row_h)
        << "\" text-anchor=\"end\" font-size=\"9\">" << plan.model.moe_layers[l] << "</text>\n";
  }
  svg << "<text transform=\"translate(" << xa - 40 << "," << fmt("%.0f", top + grid_h / 2)
      << ") rotate(-90)\" text-anchor=\"middle\">layer</text>\n";

  std::vector<int> order(experts);
  for (int l = 0; l < layers; ++l) {
    double y = top + l * row_h;
    // A: utilisation = device time / layer time.
    std::vector<std::string> colours;
    for (int d = 0; d < devices; ++d) {
      double u = m.layer_seconds[l] > 0 ? m.device_seconds[l][d] / m.layer_seconds[l] : 0;
      colours.push_back(plan.pool.devices[d].lost ? "#dddddd" : viridis(std::round(u * 20) / 20));
    }
    cellRow(svg, xa, y, dev_w, row_h, colours);
    // B and C: experts by load, hottest first.
    const std::vector<double>& tokens = plan.load.expert_tokens[l];
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](int a, int b) { return tokens[a] != tokens[b] ? tokens[a] > tokens[b] : a < b; });
    double mean = std::accumulate(tokens.begin(), tokens.end(), 0.0) / std::max(1, experts);
    std::vector<std::string> load_colours, device_colours;
    for (int e : order) {
      // Log scale from a tenth of the mean to ten times it.
      double t = mean > 0 && tokens[e] > 0 ? (std::log10(tokens[e] / mean) + 1) / 2 : 0;
      load_colours.push_back(viridis(std::round(std::clamp(t, 0.0, 1.0) * 16) / 16));
      const ExpertReplicas& rs = plan.layers[l].experts[e];
      const Replica* main = &rs[0];
      for (const Replica& r : rs) main = r.share > main->share ? &r : main;
      device_colours.push_back(kind_colour[plan.pool.devices[main->device].kind]);
    }
    cellRow(svg, xb, y, exp_w, row_h, load_colours);
    cellRow(svg, xc, y, exp_w, row_h, device_colours);
    // Replicated experts get a tick under their cell's top edge.
    for (size_t k = 0; k < order.size(); ++k) {
      if (plan.layers[l].experts[order[k]].size() > 1) {
        svg << "<rect x=\"" << fmt("%.1f", xc + k * exp_w) << "\" y=\"" << fmt("%.1f", y) << "\" width=\""
            << fmt("%.2f", exp_w) << "\" height=\"" << fmt("%.2f", std::max(1.0, row_h * 0.3))
            << "\" fill=\"black\"/>\n";
      }
    }
  }
  for (double x : {xa, xb, xc}) {
    double w = x == xa ? panel_a : panel_b;
    svg << "<rect x=\"" << x << "\" y=\"" << top << "\" width=\"" << fmt("%.1f", w) << "\" height=\""
        << fmt("%.1f", grid_h) << "\" fill=\"none\" stroke=\"#333\" stroke-width=\"0.6\"/>\n";
  }
  svg << "<text x=\"" << xb << "\" y=\"" << fmt("%.0f", top + grid_h + 14) << "\" font-size=\"9\" fill=\"#444\">"
      << "hot " << "&#8592; experts sorted by expected tokens per step &#8594; cold</text>\n";
  svg << "<text x=\"" << xc << "\" y=\"" << fmt("%.0f", top + grid_h + 14) << "\" font-size=\"9\" fill=\"#444\">"
      << "black tick: expert has several replicas (colour: largest share)</text>\n";

  // Under A: memory use per device and mean utilisation.
  double yb = top + grid_h + 12, bar_h = 46;
  svg << "<text x=\"" << xa << "\" y=\"" << fmt("%.0f", yb + bar_h + 30) << "\" font-size=\"9\" fill=\"#444\">"
      << "bars: memory used / usable; numbers: mean utilisation</text>\n";
  for (int d = 0; d < devices; ++d) {
    double cap = d < static_cast<int>(m.memory_capacity_bytes.size()) ? m.memory_capacity_bytes[d] : 0;
    double used = d < static_cast<int>(m.memory_bytes.size()) ? m.memory_bytes[d] : 0;
    double frac = cap > 0 ? std::min(1.0, used / cap) : 0;
    double x = xa + d * dev_w + 2;
    svg << "<rect x=\"" << fmt("%.1f", x) << "\" y=\"" << fmt("%.1f", yb) << "\" width=\"" << fmt("%.1f", dev_w - 4)
        << "\" height=\"" << bar_h << "\" fill=\"#eee\" stroke=\"#999\" stroke-width=\"0.5\"/>\n";
    svg << "<rect x=\"" << fmt("%.1f", x) << "\" y=\"" << fmt("%.1f", yb + bar_h * (1 - frac)) << "\" width=\""
        << fmt("%.1f", dev_w - 4) << "\" height=\"" << fmt("%.1f", bar_h * frac) << "\" fill=\""
        << kind_colour[plan.pool.devices[d].kind] << "\"/>\n";
    double busy = 0;
    for (int l = 0; l < layers; ++l) busy += m.layer_seconds[l] > 0 ? m.device_seconds[l][d] / m.layer_seconds[l] : 0;
    svg << "<text x=\"" << fmt("%.1f", x + (dev_w - 4) / 2) << "\" y=\"" << fmt("%.1f", yb + bar_h + 11)
        << "\" font-size=\"8\" text-anchor=\"middle\">" << fmt("%.0f", layers ? 100 * busy / layers : 0) << "%</text>\n";
  }

  // Legends: utilisation and load colour bars, device kinds.
  double yl = yb + bar_h + 52;
  auto colourBar = [&](double x, const std::string& label, const std::string& lo, const std::string& hi) {
    for (int i = 0; i < 40; ++i) {
      svg << "<rect x=\"" << fmt("%.1f", x + i * 4) << "\" y=\"" << yl << "\" width=\"4.2\" height=\"10\" fill=\""
          << viridis(i / 39.0) << "\"/>\n";
    }
    svg << "<text x=\"" << x << "\" y=\"" << yl - 4 << "\" font-size=\"9\">" << escape(label) << "</text>\n";
    svg << "<text x=\"" << x << "\" y=\"" << yl + 21 << "\" font-size=\"9\">" << escape(lo) << "</text>\n";
    svg << "<text x=\"" << x + 160 << "\" y=\"" << yl + 21 << "\" font-size=\"9\" text-anchor=\"end\">" << escape(hi)
        << "</text>\n";
  };
  colourBar(xa, "device time / layer time", "idle", "sets the layer's time");
  colourBar(xb, "expected tokens (log)", "0.1x mean", "10x mean");
  double xk = xc;
  for (const std::string& kind : kinds) {
    int count = 0;
    for (const DeviceSpec& d : plan.pool.devices) count += d.kind == kind ? 1 : 0;
    svg << "<rect x=\"" << fmt("%.0f", xk) << "\" y=\"" << yl << "\" width=\"10\" height=\"10\" fill=\""
        << kind_colour[kind] << "\"/>\n";
    std::string text = std::to_string(count) + "x " + kind;
    svg << "<text x=\"" << fmt("%.0f", xk + 14) << "\" y=\"" << yl + 9 << "\" font-size=\"9\">" << escape(text) << "</text>\n";
    xk += 24 + 5.5 * text.size();
  }
  svg << "</svg>\n";
  return svg.str();
}

}  // namespace hexmoe::scheduler
