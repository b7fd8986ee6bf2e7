import AAFCommands

#if canImport(Glibc)
import Glibc
#endif

@main
struct Entrypoint {
    static func main() {
        AAFDCommand.bootstrap()
        exit(AAFDCommand.run(Array(CommandLine.arguments.dropFirst())))
    }
}

#if SANITIZING
/// LeakSanitizer's suppressions, compiled into the binary scripts/sanitizers.sh builds (`-DSANITIZING`), so that
/// every aafd process the tests start has them whatever environment the test gives it: TOMLKit's C++ shim (CTOML)
/// does not free the strings and key arrays it hands to Swift; the configuration is parsed once per run.
@_cdecl("__lsan_default_suppressions")
func lsanDefaultSuppressions() -> UnsafePointer<CChar> {
    let text: StaticString = "leak:nodeAsString\nleak:tableGetKeys\nleak:CTOML\nleak:TOMLKit\n"
    return UnsafeRawPointer(text.utf8Start).assumingMemoryBound(to: CChar.self)
}
#endif
