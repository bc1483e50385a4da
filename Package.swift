// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "zcp",
    products: [
        .executable(name: "zcp", targets: ["zcp"]),
        .library(name: "ZcpCore", targets: ["ZcpCore"]),
    ],
    targets: [
        // _GNU_SOURCE shim for the calls Glibc's Swift module lacks.
        .target(name: "CZcp"),
        // POSIX ACLs through libacl.
        .systemLibrary(name: "CAcl", pkgConfig: "libacl", providers: [.apt(["libacl1-dev"])]),
        // The engine: command line, strategies, extents, metadata, tree walking, reporting.
        .target(name: "ZcpCore", dependencies: ["CZcp", "CAcl"]),
        // A thin entry point, linked fully static (Swift runtime, libacl, glibc): no dynamic
        // loader work at start-up, which backups that run zcp once per file pay every time.
        .executableTarget(name: "zcp", dependencies: ["ZcpCore"],
                          linkerSettings: [.unsafeFlags(["-static-executable"])]),
        .testTarget(name: "ZcpCoreTests", dependencies: ["ZcpCore", "CZcp"]),
    ]
)
