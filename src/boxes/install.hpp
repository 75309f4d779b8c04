#pragma once
// Installing a box from what a user has: a local file or directory of any form vmlab knows,
// or a URL with the SHA-256 it must have. Every path ends in add_box (box.hpp), which makes
// the box appear in the store atomically.
#include <filesystem>
#include <string>

#include "boxes/box.hpp"
#include "boxes/fetch.hpp"

namespace vmlab::boxes {

// A box directory or a bare qcow2: add_box. A tar (optionally compressed) holding a box
// directory (box.qcow2 at its top or in its one top folder): unpacked beside the store, then
// add_box of that directory. Anything else (a Vagrant .box, ...) is handed to add_box as it
// is. `origin` empty: the path and the file's own digest.
Box install_box(const std::string& name, const std::filesystem::path& path,
                const BoxOrigin& origin = {});

// `vmlab box add NAME URL --sha256 HEX` and `vmup` for a Vmfile box table: checks the name
// (nothing is downloaded for an invalid or taken one), fetch_verified(), install_box() with
// origin {url, sha256}, then removes the verified download. Throws as those do; on every
// failure nothing is in the store.
Box add_box_from_url(const std::string& name, const std::string& url, const std::string& sha256,
                     const FetchOptions& opts = {});

}  // namespace vmlab::boxes
