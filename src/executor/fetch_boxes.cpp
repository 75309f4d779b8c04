#include "executor/fetch_boxes.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <set>

#include "boxes/install.hpp"
#include "boxes/meter.hpp"
#include "core/error.hpp"
#include "executor/cancel.hpp"

namespace vmlab::executor {

void fetch_missing_boxes(const config::Topology& topo, Reporter& rep) {
  std::set<std::string> seen;
  for (const auto& n : topo.nodes) {
    const config::Node* node = &n;
    if (!seen.insert(node->box).second) continue;
    const config::BoxSource* src = topo.find_box_source(node->box);
    if (!src) continue;  // a plain name: the provider's check says if it is missing
    if (auto box = boxes::find_box(node->box)) {
      if (!box->sha256.empty() && box->sha256 != src->sha256)
        rep.warning("", fmt::format("box \"{}\" is installed from {} (sha256 {}), not the "
                                    "Vmfile's sha256 {}; using the installed one (vmlab box "
                                    "remove {} to fetch the Vmfile's)",
                                    box->name, box->source.empty() ? "elsewhere" : box->source,
                                    box->sha256, src->sha256, box->name));
      continue;
    }
    rep.note("box-download",
             fmt::format("box \"{}\" is not installed: downloading {}", src->name, src->url),
             {{"box", src->name}, {"url", src->url}});
    const bool tty = rep.mode() == OutputMode::Tty && isatty(STDERR_FILENO);
    boxes::DownloadMeter meter(
        src->name, tty,
        [&](const std::string& line) {
          rep.note("box-progress", line, {{"box", src->name}});
        },
        [](const std::string& t) {
          std::fputs(t.c_str(), stderr);
          std::fflush(stderr);
        });
    boxes::FetchOptions opts;
    opts.progress = [&](const boxes::FetchProgress& p) {
      meter.update(p);
      return !cancelled();
    };
    try {
      auto box = boxes::add_box_from_url(src->name, src->url, src->sha256, opts);
      meter.finish();
      rep.note("box-added", fmt::format("box \"{}\" added ({})", box.name, box.dir.string()),
               {{"box", box.name}, {"sha256", box.sha256}});
    } catch (const Error& e) {
      meter.finish();
      if (dynamic_cast<const Interrupted*>(&e)) throw;
      throw Error(fmt::format("{}:{}:{}: box \"{}\": {}", topo.vmfile.filename().string(),
                              src->pos.line, src->pos.col, src->name, e.what()),
                  e.code());
    }
  }
}

}  // namespace vmlab::executor
