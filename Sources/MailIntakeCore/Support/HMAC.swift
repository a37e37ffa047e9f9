/// HMAC-SHA256 (RFC 2104) over `SHA256`: the keyed hash by which the audit trail recognises a
/// person's repeated requests without holding their address.
public enum HMACSHA256 {
    public static func hex(key: [UInt8], message: [UInt8]) -> String {
        let blockSize = 64
        var block = key.count > blockSize ? { var h = SHA256(); h.update(key); return h.finalize() }() : key
        block += [UInt8](repeating: 0, count: blockSize - block.count)
        var inner = SHA256()
        inner.update(block.map { $0 ^ 0x36 })
        inner.update(message)
        var outer = SHA256()
        outer.update(block.map { $0 ^ 0x5c })
        outer.update(inner.finalize())
        return outer.finalizeHex()
    }
}
