// swift-tools-version:6.0
import PackageDescription

// mailintake: the e-mail intake daemon of an office for international cooperation.
// No Swift package dependencies: C libraries come in through system-library modules,
// and C stays inside the four C targets.
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
        .target(name: "CCurlShim", dependencies: ["CCurl"]),
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
        .target(name: "MailIntakeCore", dependencies: ["CCrypto"]),
        .target(name: "MailStore", dependencies: ["CSQLite", "MailIntakeCore"]),
        .target(name: "MailTransport", dependencies: ["CCurl", "CCurlShim", "MailIntakeCore"]),
        .target(name: "MailIntakeDaemon", dependencies: ["MailIntakeCore", "MailStore", "MailTransport"]),
        .executableTarget(name: "mailintake", dependencies: ["MailIntakeDaemon", "MailTransport"]),
        .testTarget(name: "MailIntakeCoreTests", dependencies: ["MailIntakeCore"]),
        .testTarget(name: "MailStoreTests", dependencies: ["MailStore", "MailIntakeCore"]),
        .testTarget(name: "MailTransportTests", dependencies: ["MailTransport"]),
        .testTarget(name: "MailIntakeDaemonTests", dependencies: ["MailIntakeDaemon", "MailIntakeCore", "MailStore", "MailTransport"]),
        .testTarget(name: "IntegrationTests", dependencies: ["MailIntakeCore", "MailStore"]),
    ]
)
