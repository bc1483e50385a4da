// Prints zcp's completion script for one shell, made from the option table the parser uses
// (Scripts/install writes them where bash, zsh and fish look).
import ZcpCore

#if canImport(Glibc)
    import Glibc
#endif

let shells = ["bash": Completions.bash, "zsh": Completions.zsh, "fish": Completions.fish]
guard CommandLine.arguments.count == 2, let make = shells[CommandLine.arguments[1]] else {
    let usage = "usage: zcp-completions bash|zsh|fish\n"
    _ = usage.withCString { write(2, $0, strlen($0)) }
    exit(2)
}
print(make(), terminator: "")
