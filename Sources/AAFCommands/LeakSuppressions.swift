#if SANITIZING
/// LeakSanitizer's suppressions, compiled into every executable scripts/sanitizers.sh builds (`-DSANITIZING`; this
/// module is linked into `aafd` and `aafd-fuzz`), so that each process the tests start has them whatever environment
/// the test gives it. Only leaks that are not aafd's: TOMLKit's C++ shim (CTOML) does not free the strings and key
/// arrays it hands to Swift; swift-corelibs-foundation's `readBytesFromFile` keeps its buffer when the file is empty.
@_cdecl("__lsan_default_suppressions")
func lsanDefaultSuppressions() -> UnsafePointer<CChar> {
    let text: StaticString = "leak:nodeAsString\nleak:tableGetKeys\nleak:CTOML\nleak:TOMLKit\nleak:readBytesFromFile\n"
    return UnsafeRawPointer(text.utf8Start).assumingMemoryBound(to: CChar.self)
}
#endif
