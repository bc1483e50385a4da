import Glibc

/// Asks a yes/no question on stderr and reads the answer from standard input.
enum Prompt {
    static func ask(_ question: String, sys: Syscalls) -> Bool {
        writeStderr(question)
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let r = withUnsafeMutableBytes(of: &byte) { b in retryingEINTR { sys.read(0, b.baseAddress!, 1) } }
            guard case .success(1) = r else { break }
            if byte == UInt8(ascii: "\n") { break }
            line.append(byte)
        }
        return line.first == UInt8(ascii: "y") || line.first == UInt8(ascii: "Y")
    }
}
