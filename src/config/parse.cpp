// Stage 1: TOML text -> Raw. Checks syntax, types and keys; expands {vars.NAME}.
#include <fmt/format.h>

#include <algorithm>

#include "config/reader.hpp"
#include "config/stages.hpp"
#include "config/step_type.hpp"

namespace vmlab::config {
namespace {

const std::vector<std::string> kTopKeys = {"name",     "provider", "hosts",   "vars",
                                           "defaults", "libvirt",  "network", "node"};
const std::vector<std::string> kDefaultsKeys = {"box", "cpus", "memory", "disk", "sync"};
const std::vector<std::string> kNetworkKeys = {"name", "cidr"};
const std::vector<std::string> kNodeKeys = {"name", "box",     "cpus",  "memory",    "disk",
                                            "ip",   "forward", "count", "provision", "sync"};
const std::vector<std::string> kForwardKeys = {"guest", "host", "protocol", "host_ip"};
const std::vector<std::string> kSyncKeys = {"host", "guest", "mode"};

// `[[<key>.sync]]` entries of a node or of [defaults].
std::vector<RawSync> read_syncs(TableReader& r, const std::string& key, Diagnostics& diag,
                                const std::map<std::string, std::string>& vars) {
  std::vector<RawSync> out;
  if (const toml::array* sy = r.table_array("sync")) {
    for (std::size_t i = 0; i < sy->size(); ++i) {
      const std::string skey = fmt::format("{}.sync[{}]", key, i);
      TableReader s(*sy->get(i)->as_table(), skey, diag, vars);
      s.check_keys(kSyncKeys);
      out.push_back({s.pos(), skey, s.str("host"), s.str("guest"), s.str("mode")});
    }
  }
  return out;
}

const std::vector<std::string> kBoxKeys = {"name", "url", "sha256"};

// `box`: a box name, or a table { name, url, sha256 } that also says where to fetch it.
Val<std::string> read_box(TableReader& r, std::optional<RawBoxSource>& source, Diagnostics& diag,
                          const std::map<std::string, std::string>& vars) {
  const toml::node* n = r.get("box");
  if (!n || n->is_string()) return r.str("box");
  const std::string path = r.path("box");
  const toml::table* t = n->as_table();
  if (!t) {
    diag.add(pos_of(n->source()), path,
             "expected a box name or a table { name = \"...\", url = \"...\", sha256 = "
             "\"...\" }, got " +
                 describe(*n));
    return {};
  }
  TableReader b(*t, path, diag, vars);
  b.check_keys(kBoxKeys);
  Val<std::string> name = b.str("name");
  if (!name.has()) name.pos = b.pos();
  source = RawBoxSource{b.pos(), path, b.str("url"), b.str("sha256")};
  return name;
}
std::map<std::string, std::string> read_vars(const toml::table& doc, Diagnostics& diag) {
  std::map<std::string, std::string> vars;
  const toml::node* n = doc.get("vars");
  if (!n) return vars;
  const toml::table* t = n->as_table();
  if (!t) {
    diag.add(pos_of(n->source()), "vars", "expected a table ([vars]), got " + describe(*n));
    return vars;
  }
  for (auto&& [k, v] : *t) {
    if (auto s = v.value_exact<std::string>())
      vars[std::string(k.str())] = *s;
    else
      diag.add(pos_of(v.source()), fmt::format("vars.{}", k.str()),
               "expected a string (variables are text), got " + describe(v));
  }
  return vars;
}

// The common keys are read here; the rest is kept for the step's type to check
// (resolve_step, with the provisioner table).
RawStep read_step(const toml::table& t, const std::string& key, Diagnostics& diag,
                  const std::map<std::string, std::string>& vars) {
  TableReader r(t, key, diag, vars);
  RawStep s;
  s.pos = r.pos();
  s.key = key;
  s.type = r.str("type");
  s.name = r.str("name");
  // `run` is the common policy ("once", "always") unless it is an array: then it is a key of
  // the step's type (docker's containers), checked by the type like its other keys.
  const toml::node* run = t.get("run");
  const bool policy = !run || !run->is_array();
  if (policy) s.run = r.str("run");
  s.after = r.str_or_list("after", &s.after_pos);
  std::vector<std::string> skip = common_step_keys();
  if (!policy) skip.erase(std::find(skip.begin(), skip.end(), "run"));
  s.fields = r.fields_except(skip);
  return s;
}

RawNode read_node(const toml::table& t, const std::string& key, Diagnostics& diag,
                  const std::map<std::string, std::string>& vars) {
  TableReader r(t, key, diag, vars);
  r.check_keys(kNodeKeys);
  RawNode n;
  n.pos = r.pos();
  n.key = key;
  n.name = r.str("name");
  n.box = read_box(r, n.box_source, diag, vars);
  n.cpus = r.integer("cpus");
  n.count = r.integer("count");
  n.memory = r.size("memory");
  n.disk = r.size("disk");
  n.ip = r.str_or_list("ip");
  if (const toml::array* fw = r.table_array("forward")) {
    for (std::size_t i = 0; i < fw->size(); ++i) {
      const std::string fkey = fmt::format("{}.forward[{}]", key, i);
      TableReader f(*fw->get(i)->as_table(), fkey, diag, vars);
      f.check_keys(kForwardKeys);
      n.forward.push_back({f.pos(), fkey, f.integer("guest"), f.integer("host"), f.str("protocol"),
                           f.str("host_ip")});
    }
  }
  if (const toml::array* pr = r.table_array("provision")) {
    for (std::size_t i = 0; i < pr->size(); ++i)
      n.provision.push_back(
          read_step(*pr->get(i)->as_table(), fmt::format("{}.provision[{}]", key, i), diag, vars));
  }
  n.sync = read_syncs(r, key, diag, vars);
  return n;
}

}  // namespace

Raw parse_vmfile(std::string_view text, const std::string& source_name, Diagnostics& diag) {
  Raw raw;
  toml::table doc;
  try {
    doc = toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    diag.add(pos_of(e.source()), "", fmt::format("TOML syntax error: {}", e.description()));
    return raw;
  }
  raw.vars = read_vars(doc, diag);
  TableReader top(doc, "", diag, raw.vars);
  top.check_keys(kTopKeys);
  raw.name = top.str("name");
  raw.provider = top.str("provider");
  raw.hosts = top.boolean("hosts");
  if (const toml::table* d = top.table("defaults")) {
    TableReader r(*d, "defaults", diag, raw.vars);
    r.check_keys(kDefaultsKeys);
    raw.defaults.box = read_box(r, raw.defaults.box_source, diag, raw.vars);
    raw.defaults.cpus = r.integer("cpus");
    raw.defaults.memory = r.size("memory");
    raw.defaults.disk = r.size("disk");
    raw.defaults.sync = read_syncs(r, "defaults", diag, raw.vars);
  }
  if (const toml::table* lv = top.table("libvirt")) {
    TableReader r(*lv, "libvirt", diag, raw.vars);
    r.check_keys({"uri"});
    raw.libvirt_uri = r.str("uri");
  }
  if (const toml::array* nets = top.table_array("network")) {
    for (std::size_t i = 0; i < nets->size(); ++i) {
      const std::string key = fmt::format("network[{}]", i);
      TableReader r(*nets->get(i)->as_table(), key, diag, raw.vars);
      r.check_keys(kNetworkKeys);
      raw.networks.push_back({r.pos(), key, r.str("name"), r.str("cidr")});
    }
  }
  if (const toml::array* nodes = top.table_array("node")) {
    for (std::size_t i = 0; i < nodes->size(); ++i)
      raw.nodes.push_back(
          read_node(*nodes->get(i)->as_table(), fmt::format("node[{}]", i), diag, raw.vars));
  }
  return raw;
}

}  // namespace vmlab::config
