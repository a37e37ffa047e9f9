/// Plain replacements over a string's UTF-8, for the code that renders every outgoing mail:
/// Foundation's `replacingOccurrences` bridges each call through NSString (and was most of the
/// acknowledgements' rendering cost in a profile, docs/PERFORMANCE.md). Exact byte sequences, no
/// locale, no case folding — what mail rendering means by "replace".
extension String {
    /// Every occurrence of `target` replaced with `replacement`; `self` unchanged (not copied)
    /// when there is none.
    func replacingAll(_ target: String, with replacement: String) -> String {
        let needle = Array(target.utf8)
        guard let first = needle.first else { return self }
        var result: [UInt8] = []
        var found = false
        let utf8 = Array(self.utf8)
        var index = 0
        while index < utf8.count {
            if utf8[index] == first, index + needle.count <= utf8.count, utf8[index..<index + needle.count].elementsEqual(needle) {
                if !found {
                    found = true
                    result.reserveCapacity(utf8.count)
                    result.append(contentsOf: utf8[0..<index])
                }
                result.append(contentsOf: replacement.utf8)
                index += needle.count
            } else {
                if found { result.append(utf8[index]) }
                index += 1
            }
        }
        guard found else { return self }
        return String(decoding: result, as: UTF8.self)
    }

    /// Whether the string holds a CR or an LF.
    var hasLineBreak: Bool { utf8.contains { $0 == 0x0D || $0 == 0x0A } }
}
