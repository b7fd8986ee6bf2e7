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
