// swift-tools-version: 6.1
import PackageDescription

/// Settings shared by every Swift target.
let swiftSettings: [SwiftSetting] = [
    // SE-0335: `any` spelled out for existentials.
    .enableUpcomingFeature("ExistentialAny"),
    // SE-0444: a file sees only the modules it imports itself.
    .enableUpcomingFeature("MemberImportVisibility"),
]

/// The hot path (SAX callbacks, reconciliation) in release builds: no dynamic exclusivity checks, which cost
/// about 12 % of an import (thread-local access sets on every class property access). Debug builds, and so
/// every test run, keep them on. See Docs/decisions/0005-release-exclusivity-checks.md.
let hotPathSettings: [SwiftSetting] =
    swiftSettings + [
        .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))
    ]

// Linux only (Debian 12 and later): the code calls Glibc, libssh, sd_notify's socket and systemd's credentials;
// SwiftPM has no way to declare a Linux-only package, so no Apple platform is declared as supported.
let package = Package(
    name: "aafd",
    products: [
        .executable(name: "aafd", targets: ["aafd"]),
        .executable(name: "aafd-fixtures", targets: ["aafd-fixtures"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    ],
    targets: [
        // System libraries: a module map and a shim, nothing else.
        .systemLibrary(
            name: "CLibXML2",
            pkgConfig: "libxml-2.0",
            providers: [.apt(["libxml2-dev"])]
        ),
        .systemLibrary(
            name: "CSQLite3",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .systemLibrary(
            name: "CLibSSH",
            pkgConfig: "libssh",
            providers: [.apt(["libssh-dev"])]
        ),
        // sync_file_range (Linux, _GNU_SOURCE): header only.
        .systemLibrary(
            name: "CFileSync"
        ),
        .systemLibrary(
            name: "CCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),

        // Value types every layer shares; no C, no I/O.
        .target(
            name: "AAFModel",
            swiftSettings: swiftSettings
        ),
        // The local system: ownership and mode checks on the paths aafd trusts (R18), child processes.
        .target(
            name: "AAFFileSystem",
            swiftSettings: swiftSettings
        ),
        // Push parser: the only target that imports CLibXML2.
        .target(
            name: "AAFParser",
            dependencies: [
                "AAFModel",
                "AAFFileSystem",
                "CLibXML2",
            ],
            swiftSettings: hotPathSettings
        ),
        // Allow-lists, departure guard, retention: pure Swift on values.
        .target(
            name: "AAFPolicy",
            dependencies: [
                "AAFModel"
            ],
            swiftSettings: swiftSettings
        ),
        // SQLite connection, migrations, directory and journal: the only target that imports CSQLite3.
        .target(
            name: "AAFStore",
            dependencies: [
                "AAFModel",
                "AAFPolicy",
                "AAFDigest",
                "AAFFileSystem",
                "CFileSync",
                "CSQLite3",
            ],
            swiftSettings: hotPathSettings
        ),
        // SHA-256 over OpenSSL's libcrypto: spool manifests, deletion-record chain.
        .target(
            name: "AAFDigest",
            dependencies: [
                "CCrypto"
            ],
            swiftSettings: swiftSettings
        ),
        // SFTP listing and durable download: the only target that imports CLibSSH.
        .target(
            name: "AAFTransfer",
            dependencies: [
                "AAFModel",
                "AAFDigest",
                "AAFFileSystem",
                "CLibSSH",
                "CFileSync",
            ],
            swiftSettings: swiftSettings
        ),
        // Delivery checks, parse → reconcile → journal.
        .target(
            name: "AAFPipeline",
            dependencies: [
                "AAFModel",
                "AAFFileSystem",
                "AAFParser",
                "AAFPolicy",
                "AAFStore",
                "AAFTransfer",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // ArgumentParser commands and configuration.
        .target(
            name: "AAFCommands",
            dependencies: [
                "AAFModel",
                "AAFFileSystem",
                "AAFParser",
                "AAFPolicy",
                "AAFStore",
                "AAFTransfer",
                "AAFPipeline",
                "AAFDigest",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "aafd",
            dependencies: [
                "AAFCommands"
            ],
            swiftSettings: swiftSettings
        ),
        // libFuzzer targets (scripts/fuzz.sh builds them with -sanitize=fuzzer,address -DFUZZING); an ordinary
        // build replays files through them.
        .executableTarget(
            name: "aafd-fuzz",
            dependencies: [
                "AAFCommands",
                "AAFModel",
                "AAFParser",
                "AAFPolicy",
            ],
            swiftSettings: swiftSettings + [.unsafeFlags(["-parse-as-library"])]
        ),
        // Synthetic ENT1D deliveries: fixtures, demo and benchmark.
        .target(
            name: "AAFFixtures",
            dependencies: [
                "AAFModel"
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "aafd-fixtures",
            dependencies: [
                "AAFFixtures",
                "AAFDigest",
                "AAFParser",
                "AAFPolicy",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        // Test helpers (not a product).
        .target(
            name: "AAFTestSupport",
            dependencies: [
                "AAFModel",
                "AAFFileSystem",
                "AAFFixtures",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        .testTarget(
            name: "AAFParserTests",
            dependencies: [
                "AAFModel",
                "AAFParser",
                "AAFFixtures",
                "AAFTestSupport",
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AAFPolicyTests",
            dependencies: [
                "AAFModel",
                "AAFPolicy",
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AAFStoreTests",
            dependencies: [
                "AAFModel",
                "AAFStore",
                "AAFTestSupport",
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AAFTransferTests",
            dependencies: [
                "AAFModel",
                "AAFFileSystem",
                "AAFTransfer",
                "AAFTestSupport",
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AAFPipelineTests",
            dependencies: [
                "AAFModel",
                "AAFParser",
                "AAFPolicy",
                "AAFStore",
                "AAFTransfer",
                "AAFPipeline",
                "AAFFixtures",
                "AAFTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AAFCommandsTests",
            dependencies: [
                "aafd",
                "AAFCommands",
                "AAFModel",
                "AAFPolicy",
                "AAFFixtures",
                "AAFTestSupport",
            ],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
