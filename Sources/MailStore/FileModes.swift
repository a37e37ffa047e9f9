import FoundationEssentials
import MailIntakeCore

/// Files that hold personal data are as private as the folder they are in: the owner's alone
/// (0600) in a private folder, and also the group's (0660) in a folder shared with a group
/// (group rwx and no access for others: `/var/lib/mailintake`, mode 2770, group `mailintake`,
/// where staff in the group work with the database without root). Never anyone else's.
public enum FileModes {
    public static func personalData(in folder: String) -> mode_t {
        var info = stat()
        guard stat(folder, &info) == 0 else { return 0o600 }
        let shared = info.st_mode & 0o070 == 0o070 && info.st_mode & 0o007 == 0
        return shared ? 0o660 : 0o600
    }

    /// The mode for a file at `path`: `personalData` of the folder it is in.
    public static func personalData(besides path: String) -> mode_t {
        let folder = Path.folder(of: path)
        return personalData(in: folder.isEmpty ? "." : folder)
    }

    /// Gives the database and its -wal and -shm files the mode of `personalData`: they are created
    /// by whoever opens the database first, under that process's umask.
    static func protectDatabase(at path: String) {
        let mode = personalData(besides: path)
        for file in [path, path + "-wal", path + "-shm"] {
            var info = stat()
            // Only files this process owns can be changed; the others are the service's, already right.
            guard stat(file, &info) == 0, info.st_uid == geteuid(), info.st_mode & 0o777 != mode else { continue }
            chmod(file, mode)
        }
    }
}
