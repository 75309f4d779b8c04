#pragma once
// `up` before it creates machines: every box a node to create names that is not installed,
// and that the Vmfile says where to fetch (`box = { name, url, sha256 }`), is downloaded,
// verified and installed (boxes/install.hpp), one box at a time, progress through the
// reporter. A box that is installed already is used as it is; if its recorded digest is not
// the Vmfile's, a warning says so (remove it to fetch the Vmfile's).
#include "config/model.hpp"
#include "executor/reporter.hpp"
#include "plan/plan.hpp"

namespace vmlab::executor {

void fetch_missing_boxes(const config::Topology& topo, const plan::Plan& plan, Reporter& rep);

}  // namespace vmlab::executor
