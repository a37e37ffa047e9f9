// swift-tools-version:6.0
import PackageDescription
#if canImport(Glibc)
import Glibc
#endif

// mailintake: the e-mail intake daemon of an office for international cooperation.
// No Swift package dependencies: C libraries come in through system-library modules,
// and C stays inside the five C targets.
// The release build's code layout (docs/PERFORMANCE.md, "Code layout"): every function in its own
// section, and the linker (lld) putting the ones the service runs side by side, in the order
// scripts/layout.sh recorded; relative relocations packed (RELR, glibc 2.36+). Together they
// took the idle daemon's resident pages of the binary from 10.1 to 7.1 MB, the executable still
// position-independent. The executable exports no symbols: nothing loads it as a library, and the
// dynamic loader searched its 4311 public names for every library symbol. The debug build, which
// the tests use, links as SwiftPM always does.
let sourceRoot = String(#filePath.dropLast("Package.swift".count))
let layout: [SwiftSetting] = [.unsafeFlags(["-Xfrontend", "-function-sections"], .when(platforms: [.linux], configuration: .release))]
// RELR needs glibc 2.36 where the binary runs; it is built where it runs (scripts/install.sh),
// so the build machine's glibc decides. An older one (Ubuntu 22.04) gets the usual relocations.
let packedRelocations: [String] = {
    #if canImport(Glibc)
    var name = [CChar](repeating: 0, count: 64)  // "glibc 2.36"
    guard confstr(Int32(_CS_GNU_LIBC_VERSION), &name, name.count) > 0 else { return [] }
    let text = String(decoding: name.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    let version = text.split(separator: " ").last.map { $0.split(separator: ".").compactMap { Int($0) } } ?? []
    if version.count >= 2, (version[0], version[1]) >= (2, 36) { return ["-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"] }
    #endif
    return []
}()
let linkedLayout: [LinkerSetting] = [.unsafeFlags([
    "-use-ld=lld",
    "-Xlinker", "--symbol-ordering-file=\(sourceRoot)Sources/mailintake/symbol-order.txt",
    "-Xlinker", "--no-warn-symbol-ordering",
    "-Xlinker", "--no-export-dynamic",
] + packedRelocations, .when(platforms: [.linux], configuration: .release))]

let package = Package(
    name: "mailintake",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "mailintake", targets: ["mailintake"]),
    ],
    targets: [
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // libssl for one call on the IMAP connection's TLS session (SSL_set_read_ahead): libcurl
        // loads it anyway, and its headers come with libssl-dev, as libcrypto's do.
        .target(name: "CCurlShim", dependencies: ["CCurl"], linkerSettings: [.linkedLibrary("ssl")]),
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        // OpenSSL's libcrypto for SHA-256 (every ingested byte is hashed; libcurl loads it anyway).
        .systemLibrary(
            name: "CCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        // glibc's allocator controls (mallopt, malloc_trim): no library to link, a header to import.
        .systemLibrary(name: "CMalloc"),
        .target(name: "MailIntakeCore", dependencies: ["CCrypto"], swiftSettings: layout),
        .target(name: "MailStore", dependencies: ["CSQLite", "MailIntakeCore"], swiftSettings: layout),
        .target(name: "MailTransport", dependencies: ["CCurl", "CCurlShim", "MailIntakeCore"], swiftSettings: layout),
        .target(name: "MailIntakeDaemon", dependencies: ["CMalloc", "MailIntakeCore", "MailStore", "MailTransport"], swiftSettings: layout),
        .executableTarget(name: "mailintake", dependencies: ["MailIntakeDaemon", "MailTransport"],
                          exclude: ["symbol-order.txt"], swiftSettings: layout, linkerSettings: linkedLayout),
        .testTarget(name: "MailIntakeCoreTests", dependencies: ["MailIntakeCore"]),
        .testTarget(name: "MailStoreTests", dependencies: ["MailStore", "MailIntakeCore"]),
        .testTarget(name: "MailTransportTests", dependencies: ["MailTransport", "MailIntakeCore"]),
        .testTarget(name: "MailIntakeDaemonTests", dependencies: ["MailIntakeDaemon", "MailIntakeCore", "MailStore", "MailTransport"]),
        .testTarget(name: "IntegrationTests", dependencies: ["MailIntakeCore", "MailStore"]),
    ]
)
