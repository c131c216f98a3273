#!/usr/bin/env bash
# Why the notes service uses SQLiteNIO: builds the same few lines of SQL
# with each candidate library as a fully static release binary, and compares
# what each costs. Prints a Markdown table and writes
# $RESULTS_DIR/sqlite-library-sizes.csv. About 2 minutes per library.
#   examples/sqlite/scripts/library-sizes.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
source dockerfiles/steps/runtime.sh

mkdir -p "$RESULTS_DIR"
require_engine
# GRDB links the system's SQLite: the probes build in the Swift builder with
# SQLite's headers and static library added (dockerfiles/tools/Dockerfile.swift-sqlite).
probe_builder=$(tool_image swift-sqlite "the Swift builder with libsqlite3-dev") || exit 1
csv=$RESULTS_DIR/sqlite-library-sizes.csv
# Git-ignored (.build-*): the probes' packages and their build folders stay
# between runs, so a second run takes seconds.
probes=examples/sqlite/.build-library-probes
mkdir -p "$probes"

# probe NAME PACKAGE-LINE PRODUCT-LINE SOURCE: a package with one executable.
probe() {
  local name=$1 package=$2 product=$3 source=$4
  # The folder's name is the package's identity: not the library's own.
  mkdir -p "$probes/$name/Sources/Probe"
  cat >"$probes/$name/Package.swift" <<SWIFT
// swift-tools-version:6.2
import PackageDescription
let package = Package(
    name: "$name",
    dependencies: [$package],
    targets: [.executableTarget(name: "Probe", dependencies: [$product])]
)
SWIFT
  printf '%s\n' "$source" >"$probes/$name/Sources/Probe/main.swift"
}

probe probe-sqlite-nio '.package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2")' \
  '.product(name: "SQLiteNIO", package: "sqlite-nio")' '
import SQLiteNIO
let connection: SQLiteConnection = try await SQLiteConnection.open(storage: .memory)
let _: [SQLiteRow] = try await connection.query("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)")
let _: [SQLiteRow] = try await connection.query("INSERT INTO notes (text) VALUES (?)", [SQLiteData.text("hello")])
let rows: [SQLiteRow] = try await connection.query("SELECT text FROM notes")
print(rows.first?.column("text")?.string ?? "-")
try await connection.close()'
probe probe-grdb '.package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0")' \
  '.product(name: "GRDB", package: "GRDB.swift")' '
import GRDB
let queue = try DatabaseQueue()
try queue.write { db in
    try db.execute(sql: "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)")
    try db.execute(sql: "INSERT INTO notes (text) VALUES (?)", arguments: ["hello"])
}
print(try queue.read { db in try String.fetchOne(db, sql: "SELECT text FROM notes") } ?? "-")'

echo "library,bytes,stripped_bytes,foundation_internationalization,sqlite" >"$csv"
json=$RESULTS_DIR/sqlite-library-sizes.json
: >"$json.tsv"
for name in probe-sqlite-nio probe-grdb; do
  say "building the $name probe in the Swift builder (swift build -c release -Xswiftc -static-executable)"
  builder --image "$probe_builder" --in "$probes/$name" swift build -c release -Xswiftc -static-executable -Xswiftc -gnone 2>&1 | swift_progress
  bin=$probes/$name/.build/release/Probe
  out=$(builder --image "$probe_builder" "$bin")
  [ "$out" = hello ] || die "the $name probe printed '$out', not hello"
  IFS=$'\t' read -r _ bytes stripped _ _ < <(builder bash swift-server/scripts/binary-facts.sh "$bin") ||
    die "measuring the $name probe failed"
  # Full Foundation brings FoundationInternationalization and ICU's data.
  # (grep -c reads to the end: grep -q would stop nm early, and pipefail
  # would take that for a failure.)
  symbols=$(builder --quiet nm "$bin" 2>/dev/null | grep -c 'FoundationInternationalization' || true)
  if [ "$symbols" -gt 0 ]; then intl="yes ($symbols symbols)"; else intl=no; fi
  # SQLite compiled in from the package's own copy, or the system's library.
  if grep -rqs 'link "sqlite3"\|linkedLibrary("sqlite3")' "$probes/$name/.build/checkouts"/*/Package.swift "$probes/$name/.build/checkouts"/*/Sources/*/module.modulemap; then
    sqlite="the system's libsqlite3"
  else
    sqlite="its own copy, compiled in"
  fi
  echo "${name#probe-},$bytes,$stripped,$intl,$sqlite" >>"$csv"
  printf '%s\t%s\t%s\t%s\t%s\n' "${name#probe-}" "$bytes" "$stripped" "$symbols" "$sqlite" >>"$json.tsv"
done
python3 dockerfiles/measure/records.py library-sizes <"$json.tsv" >"$json" && rm -f "$json.tsv"

echo
python3 dockerfiles/measure/render.py library-sizes "$RESULTS_DIR"
echo
echo "(written to $csv and $json)"
