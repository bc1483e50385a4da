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
        // XXH3-128 digests (--verify, --resume) through libxxhash.
        .systemLibrary(name: "CXxhash", pkgConfig: "libxxhash", providers: [.apt(["libxxhash-dev"])]),
        // SHA-256 manifests (--manifest-hash=sha256) through OpenSSL's libcrypto (Debian's
        // libssl-dev, which Scripts/install and Scripts/test install), linked from its static
        // archive: the shared library would cost every start-up about 0.6 ms of loading and
        // relocation, the archive adds SHA-256's 20 KB of code alone. No pkgConfig here: its
        // -lcrypto would come first on the link line and bind the shared library, and the
        // headers are in the standard place (pkg-config gives no flags for them).
        .systemLibrary(name: "CCrypto"),
        // The engine: command line, strategies, extents, metadata, tree walking, reporting.
        // Exclusive access is checked at compile time; the run-time checks cost a call on
        // every access to a class's stored property in the per-file path. The engine matches
        // names as bytes and needs no regular expressions: without the implicit import of
        // _StringProcessing the binary carries 1.3 MB less code.
        .target(
            name: "ZcpCore", dependencies: ["CZcp", "CAcl", "CXxhash", "CCrypto"],
            swiftSettings: [
                .unsafeFlags(["-Xfrontend", "-disable-implicit-string-processing-module-import"]),
                .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
            ],
            linkerSettings: [.linkedLibrary(":libcrypto.a")]),
        // A thin entry point. The Swift runtime and libstdc++ are linked statically and the
        // executable is not position-independent: no symbol lookups or relative relocations
        // for the dynamic loader at start-up, which backups that run zcp once per file pay
        // every time. Its symbols are not exported (the runtime's link arguments ask for
        // -export-dynamic): 1,561 exported names made every lookup the loader does for the
        // shared libraries, and the runtime's dladdr at start-up, search a larger table.
        // glibc stays shared, so valgrind and LD_PRELOAD tools work as with cp.
        // Sources/zcp/link holds a linker script that turns the runtime's -lstdc++ into the
        // static archive, and the order (Scripts/order-symbols) in which lld places the
        // functions a copy runs, side by side: fewer code pages mapped, a lower peak RSS.
        // The runtime's command-line entry points, from what glibc hands initializers
        // (Sources/CStart/start.c says why).
        .target(name: "CStart"),
        .executableTarget(
            name: "zcp", dependencies: ["ZcpCore", "CStart"], exclude: ["link"],
            swiftSettings: [.unsafeFlags(["-Xfrontend", "-disable-implicit-string-processing-module-import"])],
            linkerSettings: [
                .unsafeFlags([
                    "-L", Context.packageDirectory + "/Sources/zcp/link",
                    "-Xclang-linker", "-static-libgcc", "-Xclang-linker", "-no-pie",
                    "-use-ld=lld", "-Xlinker", "--no-export-dynamic",
                ]),
                // The order names the release build's functions (a debug build's differ).
                .unsafeFlags(
                    ["-Xlinker", "--symbol-ordering-file=" + Context.packageDirectory + "/Sources/zcp/link/order.txt"],
                    .when(configuration: .release)),
            ]),
        // Prints the bash, zsh and fish completions made from the parser's option table.
        .executableTarget(name: "zcp-completions", dependencies: ["ZcpCore"]),
        .testTarget(name: "ZcpCoreTests", dependencies: ["ZcpCore", "CZcp"]),
    ]
)
