#!/usr/bin/env bash
# make bench (docs/09-results.md), quick: start-up, memory, wrk and transfer
# figures of the Go and the Swift scratch images, each against Go's in the
# same run (the transfer through a second, empty engine and a tc rate limit);
# bad settings, a taken port and a server that exits end in one plain line.
# (Figures are benchmark results, reported in the docs; only their being
# real is checked here: every request answered, every figure measured.)
# Then make report on those results: every number on the page read back
# against its file, and the page rendered by headless Chromium, offline,
# its charts and tables found drawn on the screenshot.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
source tests/lib.sh

require_engine
WORK=$(mktemp -d)
on_exit rm -rf "$WORK"
port=$(free_port)
images="go-app-scratch swift-app-scratch"
# The transfer figures need root (a second engine, tc); a user who is not
# root gets the rest, and a line saying why first.
ROOT=$([ "$(id -u)" -eq 0 ] && echo 1 || echo 0)

# --- Settings and a taken port: one line, before any container -------------------------------
out=$(BENCH_PORT=80x bash dockerfiles/steps/bench.sh 2>&1)
assert_eq "BENCH_PORT=80x: one line, and a non-zero exit" "1|error: BENCH_PORT=80x: expected a whole number above 0" "$?|$out"
out=$(BENCH_STARTUP_RUNS=1 bash dockerfiles/steps/bench.sh 2>&1)
assert_match "BENCH_STARTUP_RUNS=1 is refused: a spread needs two" '^error: BENCH_STARTUP_RUNS=1: at least 2' "$out"
python3 -m http.server --bind 127.0.0.1 "$port" >/dev/null 2>&1 &
taker=$!
on_exit kill "$taker"
for _ in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
out=$(BENCH_PORT=$port IMAGES=$images RESULTS_DIR=$WORK/results bash dockerfiles/steps/bench.sh 2>&1)
assert_eq "a taken BENCH_PORT: one line naming it" "error: something already answers on 127.0.0.1:$port: set BENCH_PORT to a free port" "$(tail -n 1 <<<"$out")"
kill "$taker" 2>/dev/null; wait "$taker" 2>/dev/null

# --- A server that exits: the error says so, with its logs -----------------------------------
out=$(env DOCKER="$DOCKER" "$PYTHON_TOOLS" dockerfiles/measure/bench.py image go-app-scratch --port "$port" --startup-runs 2 \
  --load-seconds 1 --run-arg=-e --run-arg=LOG_LEVEL=loud 2>&1)
status=$?
assert_eq "a server that exits at start: a non-zero exit" 1 "$status"
assert_match "... saying it exited, with its logs (its own error line)" \
  $'exited before answering on 127\\.0\\.0\\.1:[0-9]+; its last logs:\n.*LOG_LEVEL' "$out"
assert_eq "... and no container left behind" "" "$("$DOCKER" ps -aq --filter name=swiftlab-bench-)"

# --- The quick bench on two images -------------------------------------------------------------
if out=$(BENCH_QUICK=1 BENCH_PORT=$port IMAGES=$images EXAMPLE='' RESULTS_DIR=$WORK/results bash dockerfiles/steps/bench.sh 2>&1); then
  pass "make bench BENCH_QUICK=1 IMAGES='$images' runs"
  json=$WORK/results/bench.json
  assert_eq "bench.json has both images, Go the reference" "go-app-scratch swift-app-scratch|go-app-scratch" \
    "$(jq -r '"\([.images[].image] | join(" "))|\(.reference)"' "$json")"
  for image in $images; do
    figures=$(jq -r --arg image "$image" '.images[] | select(.image == $image)' "$json")
    assert_eq "$image: 3 start-ups timed, each above 0 ms, the median between min and max" "3|true|true" \
      "$(jq -r '"\(.startup_ms.runs | length)|\(all(.startup_ms.runs[]; . > 0))|\(.startup_ms.min <= .startup_ms.median and .startup_ms.median <= .startup_ms.max)"' <<<"$figures")"
    assert_eq "$image: wrk's requests were all answered 2xx, with no socket error" "0|0|true" \
      "$(jq -r '"\(.load.non_2xx)|\(.load.socket_errors)|\(.load.requests > 100)"' <<<"$figures")"
    assert_eq "$image: p50 at most p99, both above 0" true "$(jq -r '.load.p50_ms > 0 and .load.p50_ms <= .load.p99_ms' <<<"$figures")"
    assert_eq "$image: resident memory measured idle and after load (1 to 500 MiB)" true \
      "$(jq -r '[.memory_kb.idle, .memory_kb.after_load] | all(. > 1024 and . < 512000)' <<<"$figures")"
    assert_eq "$image: its own part (RssAnon) measured too, above 0 and below the whole" true \
      "$(jq -r '.memory_kb | .idle_own > 0 and .idle_own < .idle and .after_load_own > 0 and .after_load_own < .after_load' <<<"$figures")"
  done
  assert_eq "Go's own ratios are 1" "1|1|1|1" \
    "$(jq -r '.images[] | select(.image == "go-app-scratch") | .vs_reference | "\(.startup)|\(.idle_memory)|\(.memory_after_load)|\(.requests_per_second)"' "$json")"
  rps_ratio=$(jq -r '(.images | map({(.image): .load.requests_per_second}) | add) as $r | ($r["swift-app-scratch"] / $r["go-app-scratch"] * 100 | round / 100)' "$json")
  assert_eq "Swift's throughput ratio is its requests/s over Go's, from the same run" "$rps_ratio" \
    "$(jq -r '.images[] | select(.image == "swift-app-scratch") | .vs_reference.requests_per_second' "$json")"
  for image in $images; do
    [ "$ROOT" = 1 ] || break
    size=$("$DOCKER" image inspect --format '{{.Size}}' "$image")
    transfer=$(jq -c --arg image "$image" '.images[] | select(.image == $image) | .transfer' "$json")
    assert_eq "$image: pushed and pulled bytes measured, more than 1 MB and less than its uncompressed $size" true \
      "$(jq --argjson size "$size" '.bytes > 1000000 and .bytes < $size' <<<"$transfer")"
    assert_eq "$image: a cold start is its pull, then a run to the first 200 (both timed)" true \
      "$(jq '.push_ms > 0 and .pull_ms > 0 and .cold_start_ms > .pull_ms' <<<"$transfer")"
    assert_eq "$image: the rate limit holds the pull to about 100 Mbit/s (at least 0.8 of the computed time)" true \
      "$(jq '.link_pull_ms != null and .link_pull_ms >= 0.8 * .link_computed_ms' <<<"$transfer")"
  done
  if [ "$ROOT" = 1 ]; then
    assert_eq "the second engine and its namespace are gone afterwards" "" \
      "$(ip netns list 2>/dev/null | grep swiftlab-bench-runner; ls /run/swiftlab-bench-runner.sock 2>/dev/null)"
  else
    assert_match "not root: make bench says first that the transfer figures are left out, and why" \
      '==> transfer figures left out: .* needs root' "$(grep -m1 -E '==> (transfer figures left out|building swiftlab-tools/wrk)' <<<"$out")"
    assert_eq "not root: bench.json says why, and has no transfer figure" "it needs root, for a second, empty engine and tc (sudo make bench measures it)|0" \
      "$(jq -r '"\(.transfer_not_measured)|\([.images[] | select(.transfer)] | length)"' "$json")"
  fi
  check "make bench prints the table, with the ratios" grep -qE '^\| swift-app-scratch \| .* ms \(.*\) \([0-9.]+x\) \|' <<<"$out"
  check "make bench prints the docker commands it runs" grep -qE '^\$ [^ ]*docker run -d --name swiftlab-bench-[0-9]+ --network host' <<<"$out"
  check "make bench runs wrk in its own image, on the host's network beside the server (no wrk on the host)" \
    grep -qE '^\$ [^ ]*docker run --rm --network host swiftlab-tools/wrk -t2 -c[0-9]+ ' <<<"$out"
  check "make bench reads memory from the container's own /proc, through a helper in its process namespace" \
    grep -qE '^\$ [^ ]*docker run --rm --pid container:swiftlab-bench-[0-9]+ --network none ' <<<"$out"
  assert_eq "make bench leaves no container behind" "" "$("$DOCKER" ps -aq --filter name=swiftlab-bench-)"
else
  fail "make bench BENCH_QUICK=1 IMAGES='$images' runs" "$(tail -n 15 <<<"$out")"
fi

# --- make report on this bench's results: read back, and seen in a browser --------------------
results=$WORK/results
cp results/bases.json "$results/"
[ ! -f results/image-sizes.tsv ] || cp results/image-sizes.tsv "$results/"
out=$("$PYTHON_TOOLS" dockerfiles/measure/report.py "$WORK/nothing" 2>&1)
assert_eq "report.py with no sizes.json: one line, and a non-zero exit" "1|error: no $WORK/nothing/sizes.json (run: make sizes)" "$?|$out"
if out=$(IMAGES=$images RESULTS_DIR=$results bash dockerfiles/steps/report.sh 2>&1); then
  pass "make report IMAGES='$images' runs"
  assert_match "it prints the page's path" "the report: $results/report/index\.html" "$(tail -n 1 <<<"$out")"
  check "it prints the docker commands it runs" grep -qE '^\$ [^ ]*docker history --human=false' <<<"$out"
  read_back=$("$PYTHON_TOOLS" tests/check_report.py numbers "$results")
  assert_eq "every number on the page is the value its data-src names in a results file" "[]" "$(jq -c .mismatches <<<"$read_back")"
  assert_eq "... and no other number is on it (the charts' axis ticks aside)" "[]" "$(jq -c .stray <<<"$read_back")"
  assert_eq "... which are many (over $((ROOT ? 100 : 80)) read back)" true "$(jq --argjson least $((ROOT ? 100 : 80)) '.values > $least' <<<"$read_back")"
  assert_eq "the page loads nothing from elsewhere: no script, no stylesheet, no remote source" "[]" "$(jq -c .external <<<"$read_back")"
  assert_eq "its tables: sizes, bench$([ "$ROOT" = 1 ] && echo " and transfer") have a row per image; layers and the binary have rows" \
    "2|2|$([ "$ROOT" = 1 ] && echo 2 || echo null)|true|true" \
    "$(jq -r '.tables | "\(."table-sizes")|\(."table-bench")|\(."table-transfer")|\(."table-layers" > 0)|\(."table-binary" > 4)"' <<<"$read_back")"
  charts="sizes layers binary startup memory throughput$([ "$ROOT" = 1 ] && echo " transfer")"
  [ "$ROOT" = 1 ] || check "not root: the page says why transfer was not measured" grep -q 'Transfer not measured: <[^>]*>it needs root' "$results/report/index.html"
  assert_eq "its charts, one SVG each: $charts" "$charts" \
    "$(jq -r '.charts | to_entries | map(select(.value == 1) | .key | ltrimstr("chart-")) | join(" ")' <<<"$read_back")"
  check "no make scan in this folder: the page says how to add it" grep -q 'Not measured yet: run make scan' "$results/report/index.html"
  missing_charts=$(grep -oE '\(charts/[a-z]+\.svg\)' "$results/report/report.md" | tr -d '()' | while read -r chart; do
    [ -s "$results/report/$chart" ] || echo "$chart"; done)
  assert_eq "report.md shows the same charts, each a file beside it" "$(wc -w <<<"$charts")|" \
    "$(grep -cE '\(charts/[a-z]+\.svg\)' "$results/report/report.md")|$missing_charts"
  # The check can fail: a figure changed, and a number of no file's.
  cp -r "$results" "$WORK/doctored"
  sed -i -E '0,/(data-scale="[^"]*">)([0-9])/s//\17\2/' "$WORK/doctored/report/index.html"
  sed -i 's|</body>|<p>about 42 MB</p></body>|' "$WORK/doctored/report/index.html"
  doctored=$("$PYTHON_TOOLS" tests/check_report.py numbers "$WORK/doctored")
  assert_eq "a doctored page fails the check: one changed figure, one stray number" "1|about 42 MB" \
    "$(jq -r '"\(.mismatches | length)|\(.stray | join(","))"' <<<"$doctored")"

  # In a browser: headless Chromium, offline, first to learn where each
  # chart and table is (a copy of the page with a script that says so),
  # then a screenshot of the whole page, then what is drawn there.
  if [ "$ROOT" = 0 ] && ! command -v chromium >/dev/null; then
    skip "headless Chromium lays the page out and takes its screenshot" "chromium is not installed, and installing it needs root (make test as root installs it)"
  else
    bash dockerfiles/steps/host-tools.sh chromium:chromium
    chromium=(chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --force-device-scale-factor=1
      --user-data-dir="$WORK/chromium" --host-resolver-rules='MAP * ~NOTFOUND')
    "$PYTHON_TOOLS" tests/check_report.py probe "$results/report/index.html" "$results/report/probe.html"
    "${chromium[@]}" --window-size=1280,900 --dump-dom "file://$(realpath "$results/report/probe.html")" 2>/dev/null |
      sed -n 's:.*<pre id="layout">\(.*\)</pre>.*:\1:p' >"$WORK/layout.json"
    if height=$(jq -e '.height | floor' "$WORK/layout.json" 2>/dev/null) &&
      "${chromium[@]}" --window-size="1280,$height" --screenshot="$WORK/page.png" "file://$(realpath "$results/report/probe.html")" >/dev/null 2>&1 &&
      seen=$("$PYTHON_TOOLS" tests/check_report.py pixels "$WORK/layout.json" "$WORK/page.png"); then
      pass "headless Chromium lays the page out and takes its screenshot ($(jq -r '.screenshot | join("x")' <<<"$seen") pixels)"
      for chart in $charts; do
        assert_eq "chart $chart: on screen (at least 400x150) with its bars drawn (over 2 % coloured pixels) and labelled (dark pixels)" true \
          "$(jq --arg id "chart-$chart" '.places[$id] | .width >= 400 and .height >= 150 and .coloured > 0.02 and .dark > 0.002' <<<"$seen")"
      done
      assert_eq "every table on screen with text in it (over 1 % dark pixels)" true \
        "$(jq '[.places | to_entries[] | select(.key | startswith("table-")) | .value.dark > 0.01] | length > 4 and all' <<<"$seen")"
    else
      fail "headless Chromium lays the page out and takes its screenshot" "$(head -c 300 "$WORK/layout.json")"
    fi
  fi
else
  fail "make report IMAGES='$images' runs" "$(tail -n 15 <<<"$out")"
fi

finish
