/// File-path arithmetic on `String`s, as the configuration, the store and the commands do it:
/// Foundation's versions live on `NSString`, which this product does not link (docs/PERFORMANCE.md).
/// Only "/" separates, as on every system the service runs on.
public enum Path {
    /// `folder/name` with one slash between them, as `NSString.appendingPathComponent` made it
    /// (a leading slash on `name` does not make it absolute); `name` alone when `folder` is empty.
    public static func join(_ folder: String, _ name: String) -> String {
        if folder.isEmpty { return name }
        let tail = name.drop(while: { $0 == "/" })
        if tail.isEmpty { return folder }
        return folder.hasSuffix("/") ? folder + tail : folder + "/" + tail
    }

    /// The folder holding `path`: "" for a bare name, "/" for a file at the root; trailing
    /// slashes are not a component.
    public static func folder(of path: String) -> String {
        let trimmed = withoutTrailingSlashes(path)
        guard let slash = trimmed.lastIndex(of: "/") else { return "" }
        if slash == trimmed.startIndex { return "/" }
        return withoutTrailingSlashes(String(trimmed[..<slash]))
    }

    /// The last component of `path` ("" for "/").
    public static func name(of path: String) -> String {
        let trimmed = withoutTrailingSlashes(path)
        if trimmed == "/" { return "" }
        guard let slash = trimmed.lastIndex(of: "/") else { return trimmed }
        return String(trimmed[trimmed.index(after: slash)...])
    }

    private static func withoutTrailingSlashes(_ path: String) -> String {
        var text = Substring(path)
        while text.count > 1, text.hasSuffix("/") { text = text.dropLast() }
        return String(text)
    }
}

/// Questions about the file system the configuration asks, without Foundation's `ObjCBool` dance.
public enum FileSystem {
    /// Whether `path` names a folder (following symbolic links, as `FileManager` did).
    public static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }
}
