import CZcp

/// The signal that asked zcp to stop, or nil.
public var stopSignal: Int32? {
    let s = zcp_pending_signal()
    return s == 0 ? nil : s
}
