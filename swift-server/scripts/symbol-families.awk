# Sums a Swift binary's symbol sizes (input: nm -S -t d, four columns) by
# where the code comes from. Used by binary-sizes.sh beside it.
function family(name,    m, n, mod) {
  if (name ~ /^\$s[0-9]/) {
    m = substr(name, 3); n = m + 0; mod = substr(m, length(n "") + 1, n)
    if (mod ~ /^(_StringProcessing|_RegexParser|Synchronization|Glibc|Musl|Dispatch|_Concurrency|Distributed|Observation)$/) return "Swift standard library and runtime"
    if (mod ~ /^(FoundationEssentials|_Foundation)/) return "FoundationEssentials"
    if (mod ~ /NIO/) return "SwiftNIO"
    if (mod ~ /^Hummingbird/) return "Hummingbird"
    if (mod ~ /^(SwiftServer|ServerMain)$/) return "the server's own code"
    return "other packages (collections, async algorithms, lifecycle, logging, ...)"
  }
  if (name ~ /^\$s/) return "Swift standard library and runtime"
  if (name ~ /^(_ZN5swift|_ZNK5swift|swift_|_swift)/) return "Swift standard library and runtime"
  if (name ~ /dispatch_|^_dispatch/) return "C libraries (glibc, libstdc++, libdispatch)"
  return "C libraries (glibc, libstdc++, libdispatch)"
}
{ sum[family($4)] += $2; total += $2 }
END { for (f in sum) printf "%d\t%s\n", sum[f], f }
