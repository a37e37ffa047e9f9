/// format=flowed (RFC 3676): a line ending in a space continues on the next one. Undoing it gives
/// back the paragraphs the sender typed; quoted (`>`) lines are joined only with lines of the same depth.
public enum FlowedText {
    public static func join(_ text: String, deleteSpace: Bool) -> String {
        var output: [String] = []
        var paragraph: String?
        var paragraphDepth = 0
        for rawLine in text.lines() {
            var line = Substring(rawLine)
            let depth = line.prefix(while: { $0 == ">" }).count
            line = line.dropFirst(depth)
            if line.hasPrefix(" ") { line = line.dropFirst() }  // space-stuffing
            let isSignature = line == "-- "
            let flowed = !isSignature && line.hasSuffix(" ")
            if var current = paragraph, depth == paragraphDepth {
                current += line
                paragraph = current
            } else {
                if let current = paragraph { output.append(String(repeating: ">", count: paragraphDepth) + (paragraphDepth > 0 ? " " : "") + current) }
                paragraph = String(line)
                paragraphDepth = depth
            }
            if flowed {
                if deleteSpace, var current = paragraph { current.removeLast(); paragraph = current }
            } else {
                output.append(String(repeating: ">", count: paragraphDepth) + (paragraphDepth > 0 ? " " : "") + (paragraph ?? ""))
                paragraph = nil
            }
        }
        if let current = paragraph { output.append(String(repeating: ">", count: paragraphDepth) + (paragraphDepth > 0 ? " " : "") + current) }
        return output.joined(separator: "\n")
    }
}
