# Sourced by scripts/package.sh and scripts/lib-bench.sh: the release build of aafd as it ships, so that the
# benchmarks measure what the package installs. The Swift runtime linked statically (the package depends on Debian
# libraries only), full RELRO.
# ship_build SCRATCH: builds into SCRATCH/release/aafd.
ship_build() {
    swift build -c release --product aafd --static-swift-stdlib --scratch-path "$1" \
        -Xlinker -z -Xlinker relro -Xlinker -z -Xlinker now
}
