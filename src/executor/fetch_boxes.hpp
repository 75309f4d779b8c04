#pragma once
// `up` before it creates machines (and before the provider's check(), which wants every box
// of the lab installed): every box a node names that is not installed, and that the Vmfile
// says where to fetch (`box = { name, url, sha256 }`), is downloaded,
// verified and installed (boxes/install.hpp), one box at a time, progress through the
// reporter. A box that is installed already is used as it is; if its recorded digest is not
// the Vmfile's, a warning says so (remove it to fetch the Vmfile's).
#include "config/model.hpp"
#include "executor/reporter.hpp"

namespace vmlab::executor {

void fetch_missing_boxes(const config::Topology& topo, Reporter& rep);

}  // namespace vmlab::executor
