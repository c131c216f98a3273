#!/bin/sh
# linked-packages.sh BIN_PATH PRODUCT: the Swift packages whose code is
# linked into PRODUCT, one per line, by their checkout folder's name.
# Run in a build stage right after `swift build`: an image's SBOM (make scan)
# lists these, where Package.resolved also names the packages that only the
# tests or the build use. SwiftPM writes the objects it linked into
# PRODUCT.product/Objects.LinkFileList; each sits in its module's folder
# (MODULE.build), whose `sources` (Swift) or *.d files (C) name the
# checkout the module was compiled from. The package's own modules come
# from no checkout, and are not listed.
set -eu
bin=$1 product=$2
list=$bin/$product.product/Objects.LinkFileList
[ -r "$list" ] || { echo "linked-packages.sh: no $list (build $product first)" >&2; exit 1; }
awk -F/ '{ for (i = NF - 1; i > 0; i--) if ($i ~ /\.build$/) { print $i; break } }' "$list" | sort -u |
  while read -r module; do
    find "$bin/$module" \( -name sources -o -name '*.d' \) -not -name "${module%.build}.d" -print0 |
      xargs -0 -r grep -ho '/checkouts/[^/]*/' || true
  done | cut -d/ -f3 | sort -u
