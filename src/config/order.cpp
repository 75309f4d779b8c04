// Stage 3b: provisioning order. Every `after` entry must name a node ("m-k8s") or a step
// ("m-k8s:kubernetes") that exists, and the "runs after" graph must have no cycle.
// Graph: vertices are (node, step); step s waits for step s-1 of its node; "node" waits for
// that node's last step; "node:step" waits for that step.
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "config/stages.hpp"
#include "config/text.hpp"

namespace vmlab::config {
namespace {

struct Vertex {
  std::size_t node, step;
  bool operator<(const Vertex& o) const { return std::tie(node, step) < std::tie(o.node, o.step); }
  bool operator==(const Vertex& o) const { return node == o.node && step == o.step; }
};

struct Graph {
  const Resolved& r;
  std::map<Vertex, std::vector<Vertex>> edges;  // v -> what v waits for
  std::map<Vertex, int> color;                  // 0 white, 1 on stack, 2 done
  std::vector<Vertex> stack;
  std::vector<std::vector<Vertex>> cycles;

  std::string label(const Vertex& v) const {
    const Node& n = r.topo.nodes[v.node];
    return fmt::format("{}:{}", n.name, n.provision[v.step].name);
  }
  void visit(const Vertex& v) {
    color[v] = 1;
    stack.push_back(v);
    for (const Vertex& w : edges[v]) {
      if (color[w] == 1) {
        auto from = std::find(stack.begin(), stack.end(), w);
        cycles.emplace_back(from, stack.end());
      } else if (color[w] == 0) {
        visit(w);
      }
    }
    stack.pop_back();
    color[v] = 2;
  }
};

void report_cycle(const Graph& g, const std::vector<Vertex>& cycle, Diagnostics& diag) {
  // Report at the earliest (in the file) step of the cycle that has an explicit `after`.
  const RawStep* at = nullptr;
  for (const Vertex& v : cycle) {
    const RawStep& rs = g.r.origin[v.node].raw->provision[v.step];
    const bool earlier =
        !at || std::tie(rs.pos.line, rs.pos.col) < std::tie(at->pos.line, at->pos.col);
    if (!rs.after.empty() && earlier) at = &rs;
  }
  if (!at) at = &g.r.origin[cycle[0].node].raw->provision[cycle[0].step];
  std::string path;
  for (const Vertex& v : cycle) path += g.label(v) + " -> ";
  path += g.label(cycle[0]);
  const SourcePos pos = at->after.empty() ? at->pos : at->after_pos;
  diag.add(pos, at->after.empty() ? at->key : at->key + ".after",
           fmt::format("dependency cycle: {} (A -> B: A runs after B)", path));
}

}  // namespace

void check_order(const Resolved& r, Diagnostics& diag) {
  const auto& nodes = r.topo.nodes;
  std::map<std::string, std::size_t> by_name;
  std::vector<std::string> names;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    by_name.emplace(nodes[i].name, i);
    names.push_back(nodes[i].name);
  }
  Graph g{r, {}, {}, {}, {}};
  for (std::size_t n = 0; n < nodes.size(); ++n) {
    for (std::size_t s = 0; s < nodes[n].provision.size(); ++s) {
      const Vertex v{n, s};
      auto& out = g.edges[v];
      if (s > 0) out.push_back({n, s - 1});
      const RawStep& rs = r.origin[n].raw->provision[s];
      const ProvisionStep& step = nodes[n].provision[s];
      for (std::size_t a = 0; a < step.after.size(); ++a) {
        const std::string& entry = step.after[a];
        const RawItem* item = a < rs.after.size() ? &rs.after[a] : nullptr;  // else derived
        const auto colon = entry.find(':');
        const std::string node = entry.substr(0, colon);
        auto report = [&](std::string msg) {
          if (item && !diag.tainted(item->key)) diag.add(item->pos, item->key, std::move(msg));
        };
        if (node.find("{i}") != std::string::npos) {
          const auto at = node.find("{i}");
          report(fmt::format("\"{}\" is a group template, not a node; name members, e.g. \"{}1{}\"",
                             node, node.substr(0, at), node.substr(at + 3)));
          continue;
        }
        auto it = by_name.find(node);
        if (it == by_name.end()) {
          const std::string guess = did_you_mean(node, names);
          report(guess.empty()
                     ? fmt::format("unknown node \"{}\"; nodes: {}", node, join(names))
                     : fmt::format("unknown node \"{}\"; did you mean \"{}\"?", node, guess));
          continue;
        }
        const auto& target_steps = nodes[it->second].provision;
        if (colon == std::string::npos) {
          if (!target_steps.empty()) out.push_back({it->second, target_steps.size() - 1});
          continue;
        }
        const std::string step_name = entry.substr(colon + 1);
        std::vector<std::string> step_names;
        std::size_t found = target_steps.size();
        for (std::size_t t = 0; t < target_steps.size(); ++t) {
          step_names.push_back(target_steps[t].name);
          if (target_steps[t].name == step_name) found = t;
        }
        if (found == target_steps.size()) {
          report(step_names.empty()
                     ? fmt::format("node \"{}\" has no provisioning steps, so no step \"{}\"", node,
                                   step_name)
                     : fmt::format("node \"{}\" has no step \"{}\"; its steps: {}", node, step_name,
                                   join(step_names)));
          continue;
        }
        out.push_back({it->second, found});
      }
    }
  }
  for (auto& [v, _] : g.edges)
    if (g.color[v] == 0) g.visit(v);
  for (const auto& c : g.cycles) report_cycle(g, c, diag);
}

}  // namespace vmlab::config
