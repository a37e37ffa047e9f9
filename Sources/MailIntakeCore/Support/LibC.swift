// The C library, for every module that imports the core. The product is built on
// FoundationEssentials alone (docs/PERFORMANCE.md): Foundation proper re-exported Glibc and
// brought CoreFoundation, ICU and libstdc++ into the process with it, several megabytes of pages
// in every running daemon. Without it, the C calls need their import; this is its one home.
#if canImport(Glibc)
@_exported import Glibc
#elseif canImport(Darwin)
@_exported import Darwin
#endif
