import AAFCommands
import AAFModel
import AAFParser
import AAFPolicy
import Foundation

/// libFuzzer entry points (issue 10): the AAF parser and record mapping with the Annexe-3 allow-list, delivery
/// file names, extract dates and their arithmetic, and the TOML configuration. The target is chosen by
/// `AAFD_FUZZ_TARGET` (`parser`, `filename`, `date`, `config`). Built with `scripts/fuzz.sh` (`-sanitize=fuzzer,address`,
/// `-DFUZZING`); in an ordinary build the same code replays files given as arguments (crash fixtures).
enum FuzzTarget: String {
    case parser, filename, date, config

    static let current =
        FuzzTarget(rawValue: ProcessInfo.processInfo.environment["AAFD_FUZZ_TARGET"] ?? "parser") ?? .parser

    func run(_ bytes: UnsafeRawBufferPointer) {
        switch self {
        case .parser:
            let parser = AAFDocumentParser(fileName: "fuzz.xml", expectedCategory: nil, filter: AllowList())
            // Two chunks, so that state carried across chunks is exercised too.
            let half = bytes.count / 2
            do {
                try parser.feed(UnsafeRawBufferPointer(rebasing: bytes[0..<half])) { record in _ = record.encoded.count
                }
                try parser.feed(UnsafeRawBufferPointer(rebasing: bytes[half...])) { record in _ = record.encoded.count }
                try parser.finish { record in _ = record.encoded.count }
            } catch {}
        case .filename:
            let text = String(decoding: bytes, as: UTF8.self)
            if let name = DeliveryFileName(text) {
                precondition(DeliveryFileName.isSafe(name.fileName))
                precondition(name.fileName.utf8.count <= DeliveryFileName.maximumLength)
            }
        case .date:
            let text = String(decoding: bytes, as: UTF8.self)
            for date in [ExtractDate(compact: text), ExtractDate(iso: text), ExtractDate(aaf: text)].compactMap({ $0 })
            {
                let policy = RetentionPolicy()
                _ = policy.purgeDue(departedOn: date)
                _ = policy.plan(asOf: date)
                _ = date.addingWorkingDays(5)
                precondition(ExtractDate(iso: date.iso) == date)
            }
        case .config:
            _ = try? Configuration.parse(
                String(decoding: bytes, as: UTF8.self),
                source: "fuzz.toml",
                baseDirectory: "/nonexistent"
            )
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzTarget.current.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

#if !FUZZING
/// Without libFuzzer: replays the files given as arguments through the current target (crash fixtures, seed
/// corpus), for the test suite and for a developer reproducing a finding.
@main
struct Replay {
    static func main() throws {
        AAFDCommand.bootstrap()
        for path in CommandLine.arguments.dropFirst() {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            data.withUnsafeBytes { FuzzTarget.current.run($0) }
        }
    }
}
#endif

#if FUZZING
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

/// SwiftPM links an executable's entry point under this name; with libFuzzer it hands over to libFuzzer's driver.
@_cdecl("aafd_fuzz_main")
func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var count = argc
    var vector = argv
    return LLVMFuzzerRunDriver(&count, &vector) { data, size in fuzzOne(data, size) }
}
#endif
