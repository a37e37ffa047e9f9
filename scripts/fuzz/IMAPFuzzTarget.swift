// libFuzzer entry point for the IMAP response framer and FETCH reader: everything a server
// sends goes through them before a byte of it is trusted. Built by scripts/fuzz.sh together with
// the sources they need. The first byte of the input picks how the rest is cut into reads, so
// the fuzzer also explores responses split at every possible place.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let chunk = Int(data[0] % 64) + 1
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    var limits = IMAPFramer.Limits()
    limits.maximumLine = 4096
    limits.maximumLiteral = 65536
    limits.maximumResponse = 70000
    var framer = IMAPFramer(limits: limits)
    var offset = 0
    while offset < bytes.count {
        framer.append(bytes[offset..<min(offset + chunk, bytes.count)])
        offset += chunk
        do {
            while let response = try framer.next() {
                _ = response.line
                _ = response.status
                _ = response.isBye
                _ = response.responseCode("UIDVALIDITY")
                _ = try? FetchResponse(response)
            }
        } catch {
            return 0
        }
    }
    return 0
}
