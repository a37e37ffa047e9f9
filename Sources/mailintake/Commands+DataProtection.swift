import FoundationEssentials
import MailIntakeCore
import MailIntakeDaemon
import MailStore

/// The office's data-protection duties: retention's purge, legal holds, a person's access
/// (Article 15) and erasure (Article 17), the audit trail, and erasures replayed after a restore.
/// Each is recorded in the audit trail with the Unix account that ran it, never with an address.
extension Commands {
    /// `purge [--dry-run]`: what retention expires today, and (without --dry-run) does it.
    static func purge(_ options: [String], configPath: String, environment: [String: String]) throws -> Int32 {
        guard options.allSatisfy({ $0 == "--dry-run" }), options.count <= 1 else {
            throw CommandFailure.usage("purge takes only --dry-run")
        }
        let dryRun = !options.isEmpty
        let configuration = try loadConfiguration(configPath, environment, readingSecrets: false)
        guard configuration.retention.isConfigured else {
            throw CommandFailure.usage("[retention] sets no period in \(configuration.sourcePath), so nothing expires; set `default = 10y` (the period of the office's classification plan)")
        }
        let repository = try openRepository(configuration, readOnly: dryRun)
        let result = try DataProtection.purge(repository, settings: configuration.retention, by: DataProtection.account(environment), dryRun: dryRun)
        let today = HolidayCalendar.Day(local: Date())
        StandardOutput.say("retention on \(today): \(result.expired.count) inquiry(ies) expired\(dryRun ? "" : " and done")")
        result.expired.forEach { StandardOutput.say("  \($0)") }
        if !result.held.isEmpty {
            StandardOutput.say("kept by a legal hold: \(result.held.count) (`mailintake release REFERENCE` when the hold ends)")
            result.held.forEach { StandardOutput.say("  \($0)") }
        }
        if result.systemMessages > 0 {
            StandardOutput.say("system messages (reports matching no mail of ours) filed more than \(configuration.retention.period(for: "default")?.description ?? "") ago: \(result.systemMessages)\(dryRun ? "" : ", deleted")")
        }
        if !result.skipped.isEmpty {
            StandardOutput.say("left alone, changed meanwhile (reopened, held or erased): \(result.skipped.joined(separator: ", "))")
        }
        if !dryRun && !repository.lastReclaimComplete { StandardOutput.complain(Self.walNotEmptied) }
        if dryRun {
            StandardOutput.say("dry run: nothing was changed; `mailintake purge` does this")
        } else if !result.expired.isEmpty {
            StandardOutput.say("done: \(result.expired.filter { $0.action == .anonymise }.count) anonymised, \(result.expired.filter { $0.action == .delete }.count) deleted; the bytes are overwritten and the file has given the space back")
        }
        return 0
    }

    /// `hold REFERENCE --reason TEXT`, `release REFERENCE [--reason TEXT]`.
    static func hold(_ placing: Bool, _ options: [String], configPath: String, environment: [String: String]) throws -> Int32 {
        let name = placing ? "hold" : "release"
        guard let reference = options.first, !reference.hasPrefix("--") else {
            throw CommandFailure.usage("\(name) needs a REFERENCE first, such as MB-2026-000042\(placing ? ", then --reason TEXT (the proceedings that need it kept)" : "")")
        }
        let values = try valuedOptions(options.dropFirst(), allowed: ["--reason"], command: name)
        let reason = values["--reason"]?.trimmed()
        if placing, reason?.isEmpty ?? true {
            throw CommandFailure.usage("hold needs --reason TEXT: why the inquiry must be kept (a court case, an inspection, a complaint), kept in the audit trail")
        }
        let configuration = try loadConfiguration(configPath, environment, readingSecrets: false)
        let repository = try openRepository(configuration)
        let account = DataProtection.account(environment)
        // The audit trail keeps the reason after the person's data is gone.
        if let reason, let record = try repository.inquiry(reference: reference)?.record {
            try refuseNaming([record.fromAddress, record.fromName].compactMap { $0 }, in: [reason])
        }
        let found: Bool
        do {
            found = placing ? try repository.hold(reference: reference, reason: reason ?? "", by: account)
                : try repository.release(reference: reference, reason: reason, by: account)
        } catch let refused as MailRepository.DataProtectionRefused {
            throw CommandFailure.runtime(refused.description)
        }
        guard found else { throw CommandFailure.runtime("no inquiry \(reference); `mailintake list` shows the references") }
        StandardOutput.say(placing ? "\(reference): under a legal hold; retention and erasure leave it alone until `mailintake release \(reference)`"
                                   : "\(reference): released; retention applies to it again")
        return 0
    }

    /// The audit trail keeps a reason after the person's data is gone, so a reason (of an erasure,
    /// a hold) that holds one of their addresses or names (of three letters or more, in any case)
    /// is refused.
    static func refuseNaming(_ names: [String], in texts: [String]) throws {
        let texts = texts.map { $0.lowercased() }
        if let named = names.filter({ $0.count >= 3 }).first(where: { name in texts.contains { $0.contains(name.lowercased()) } }) {
            throw CommandFailure.usage("the reason names the person (`\(named)`); the audit trail keeps it after their data is gone, so write why, not who (a case number)")
        }
    }

    /// ADDRESS [--also ADDRESS]… and the other `--option value` pairs of subject-access and erase.
    static func subjectOptions(_ options: [String], allowed: [String], command: String) throws -> (subject: DataSubject, values: [String: String]) {
        guard let first = options.first, !first.hasPrefix("--") else {
            throw CommandFailure.usage("\(command) needs the person's ADDRESS first (more with --also ADDRESS)")
        }
        var addresses = [first]
        var rest: [String] = []
        var index = 1
        while index < options.count {
            if options[index] == "--also" {
                guard index + 1 < options.count, !options[index + 1].hasPrefix("--") else { throw CommandFailure.usage("--also needs an ADDRESS") }
                addresses.append(options[index + 1])
            } else {
                rest.append(options[index])
                if index + 1 < options.count { rest.append(options[index + 1]) }
            }
            index += 2
        }
        let values = try valuedOptions(rest[...], allowed: allowed, command: command)
        do {
            return (try DataSubject(addresses: addresses), values)
        } catch {
            throw CommandFailure.usage(error.description)
        }
    }

    /// `subject-access ADDRESS [--also ADDRESS]… --out DIR`: everything held about the person, as
    /// files a staff member can hand over (README.txt first).
    static func subjectAccess(_ options: [String], configPath: String, environment: [String: String]) throws -> Int32 {
        let (subject, values) = try subjectOptions(options, allowed: ["--out"], command: "subject-access")
        guard let out = values["--out"], !out.isEmpty else {
            throw CommandFailure.usage("subject-access needs --out DIR: a new folder for the files to hand over")
        }
        let configuration = try loadConfiguration(configPath, environment, readingSecrets: false)
        let repository = try openRepository(configuration)
        let export = try SubjectAccessExport(folder: out)
        let inquiries = try repository.inquiries(of: subject)
        var items: [SubjectAccessReadme.Item] = []
        var records: [[String: Any]] = []
        var files = 0
        for inquiry in inquiries {
            guard let access = try repository.subjectAccess(inquiry) else { continue }
            let written = try export.write(access)
            files += written.files.count
            items.append(SubjectAccessReadme.Item(reference: inquiry.reference, receivedAt: inquiry.receivedAt, field: access.detail.record.field,
                                                  status: access.detail.record.status, closedAt: access.detail.record.closedAt,
                                                  heldReason: inquiry.heldReason, files: written.files))
            records.append(written.json)
        }
        let readme = SubjectAccessReadme(office: configuration.office, retention: configuration.retention, addresses: subject.addresses,
                                         preparedOn: HolidayCalendar.Day(local: Date()).description, items: items)
        try export.writeFile("README.txt", Array(readme.text.utf8))
        try export.writeFile("inquiries.json", JSONValue(records).serialized(pretty: true))
        try repository.transaction {
            try repository.recordAudit(.subjectAccess, by: DataProtection.account(environment), reason: "access request (Article 15)",
                                       subjects: subject.hashes(key: try repository.auditKey()), references: inquiries.map(\.reference),
                                       counts: ["inquiries": inquiries.count, "files": files + 2])
        }
        StandardOutput.say("wrote \(out): \(inquiries.count) inquiry(ies), \(files + 2) file(s); README.txt says what is there, why, and for how long")
        if inquiries.isEmpty { StandardOutput.say("nothing is held about \(subject.addresses.joined(separator: ", ")) (the README says so)") }
        return 0
    }

    /// `erase ADDRESS [--also ADDRESS]… --reason TEXT [--force JUSTIFICATION]`: anonymises the
    /// person's inquiries and removes their raw mail; held or still open ones are kept, and named,
    /// unless --force says why the law's exceptions do not apply.
    static func erase(_ options: [String], configPath: String, environment: [String: String]) throws -> Int32 {
        let (subject, values) = try subjectOptions(options, allowed: ["--reason", "--force"], command: "erase")
        guard let reason = values["--reason"]?.trimmed(), !reason.isEmpty else {
            throw CommandFailure.usage("erase needs --reason TEXT: why (such as `request of 2026-03-01, Article 17(1)(a)`); it stays in the audit trail, so name no one")
        }
        let forced = values["--force"]?.trimmed()
        if let forced, forced.isEmpty { throw CommandFailure.usage("--force needs the justification: why the exceptions of Article 17(3)(b) and (d) do not apply") }
        let configuration = try loadConfiguration(configPath, environment, readingSecrets: false)
        let repository = try openRepository(configuration)
        let inquiries = try repository.inquiries(of: subject)
        try refuseNaming(subject.addresses + inquiries.compactMap(\.fromName), in: [reason, forced ?? ""])
        let refusable = inquiries.filter { $0.heldReason != nil || $0.status == InquiryStatus.open.rawValue }
        let kept = forced == nil ? refusable : []
        let erasing = inquiries.filter { inquiry in !kept.contains { $0.id == inquiry.id } }
        let account = DataProtection.account(environment)
        if erasing.isEmpty && kept.isEmpty {
            try repository.transaction {
                try repository.recordAudit(.erase, by: account, reason: reason, subjects: subject.hashes(key: try repository.auditKey()), counts: ["anonymised": 0])
            }
            StandardOutput.say("nothing is held about \(subject.addresses.joined(separator: ", ")); recorded in the audit trail")
            return 0
        }
        _ = try repository.erase(erasing, keeping: kept, subject: subject, reason: reason, forced: forced, by: account,
                                 journal: ErasureJournal(databasePath: configuration.storePath))
        for inquiry in erasing { StandardOutput.say("erased  \(inquiry.reference)  (anonymised: the raw mail, attachments, names and addresses are gone)") }
        if !repository.lastReclaimComplete { StandardOutput.complain(Self.walNotEmptied) }
        guard kept.isEmpty else {
            for inquiry in kept {
                let why = inquiry.heldReason.map { "under a legal hold (\($0))" } ?? "still open: the office owes an answer"
                StandardOutput.say("KEPT    \(inquiry.reference)  \(why)")
            }
            StandardOutput.complain("mailintake: \(kept.count) inquiry(ies) kept: a public body keeps what its legal duty or archiving needs (Article 17(3)(b) and (d)); release the hold, or close the inquiry, and erase again — or, if those exceptions do not apply, add --force JUSTIFICATION")
            return 1
        }
        StandardOutput.say("done: \(erasing.count) inquiry(ies) erased; `search` and `subject-access` find nothing of them. Delete the person's mail from the mailbox too (mailintake keeps its own copy only)")
        return 0
    }

    static let walNotEmptied = "mailintake: note: a staff command reading the database kept its write-ahead log from being emptied, so old copies of the removed pages may stay in it until the service's next stop or the next purge; run `mailintake purge` again when no one is reading"

    /// `audit [--limit N]`: the audit trail, newest first.
    static func audit(_ options: [String], configPath: String, environment: [String: String]) throws -> Int32 {
        let values = try valuedOptions(options[...], allowed: ["--limit"], command: "audit")
        guard let limit = Int(values["--limit"] ?? "50"), limit > 0 else { throw CommandFailure.usage("--limit needs a positive number") }
        let repository = try openRepository(configPath, environment, readOnly: true)
        for entry in try repository.auditLog(limit: limit) {
            let counts = entry.counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            StandardOutput.say("\(entry.at)  \(entry.action.rawValue)  by \(entry.by ?? "?")\(entry.reason.map { "  reason: \($0)" } ?? "")")
            if !counts.isEmpty { StandardOutput.say("    \(counts)") }
            if !entry.references.isEmpty { StandardOutput.say("    references: \(entry.references.joined(separator: ", "))") }
            if !entry.subjects.isEmpty { StandardOutput.say("    person (keyed hash): \(entry.subjects.joined(separator: ", "))") }
            if let erasure = entry.erasure { StandardOutput.say("    erasure \(erasure)") }
        }
        return 0
    }

    /// `replay-erasures`: after restoring a backup, carries out again the journal's erasures the
    /// database still holds data of (the service also does this when it starts).
    static func replayErasures(_ options: [String], configPath: String, environment: [String: String]) throws -> Int32 {
        guard options.isEmpty else { throw CommandFailure.usage("replay-erasures takes no options") }
        let configuration = try loadConfiguration(configPath, environment, readingSecrets: false)
        let repository = try openRepository(configuration)
        let journal = ErasureJournal(databasePath: configuration.storePath)
        let records = try journal.records()
        let replayed = try repository.replayErasures(records, by: DataProtection.account(environment))
        for (erasure, references) in replayed {
            StandardOutput.say("erasure \(erasure): carried out again on \(references.joined(separator: ", "))")
        }
        StandardOutput.say("\(records.count) erasure(s) in \(journal.path); \(replayed.count) had data here again, now erased")
        return 0
    }
}

/// The folder `subject-access` writes: new, the owner's alone (0700, files 0600), names made
/// safe for any file system the staff member copies it to.
struct SubjectAccessExport {
    let folder: String

    init(folder given: String) throws {
        // `dir/` would make lstat follow a symbolic link named dir.
        var folder = given
        while folder.count > 1 && folder.hasSuffix("/") { folder.removeLast() }
        var info = stat()
        if lstat(folder, &info) == 0 {
            let isEmptyFolder = (info.st_mode & S_IFMT) == S_IFDIR && info.st_uid == geteuid()
                && ((try? FileManager.default.contentsOfDirectory(atPath: folder))?.isEmpty ?? false)
            guard isEmptyFolder else { throw CommandFailure.runtime("\(folder) already exists; give a new folder (an export never mixes with other files, nor goes into someone else's)") }
        } else if mkdir(folder, 0o700) != 0 {
            throw CommandFailure.runtime("cannot create \(folder): \(String(cString: strerror(errno))); check that its parent folder exists and you may write there")
        }
        guard chmod(folder, 0o700) == 0 else {
            throw CommandFailure.runtime("cannot make \(folder) private (chmod 700): \(String(cString: strerror(errno)))")
        }
        self.folder = folder
    }

    func writeFile(_ name: String, _ bytes: [UInt8]) throws {
        let path = folder + "/" + name
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw CommandFailure.runtime("cannot write \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            guard written > 0 else { throw CommandFailure.runtime("cannot write \(path): \(String(cString: strerror(errno)))") }
            offset += written
        }
    }

    /// A file name from mail: no folders, no control characters, no leading dot, at most 120 bytes.
    static func safeName(_ name: String) -> String {
        let cleaned = String(name.unicodeScalars.map { scalar -> Character in
            scalar == "/" || scalar == "\\" || scalar.value < 0x20 || scalar.value == 0x7F || PrintableText.isUnsafe(scalar) ? "_" : Character(scalar)
        }).trimmed()
        // At most 120 bytes of UTF-8, whole characters: file systems count bytes (255 at most).
        var trimmed = ""
        for character in cleaned.drop(while: { $0 == "." }) {
            guard trimmed.utf8.count + character.utf8.count <= 120 else { break }
            trimmed.append(character)
        }
        return trimmed.isEmpty ? "attachment" : trimmed
    }

    /// Writes one inquiry's folder; returns its files and its entry for inquiries.json.
    func write(_ access: MailRepository.SubjectAccessInquiry) throws -> (files: [String], json: [String: Any]) {
        let detail = access.detail
        let reference = detail.record.reference
        guard mkdir(folder + "/" + reference, 0o700) == 0 else {
            throw CommandFailure.runtime("cannot create \(folder)/\(reference): \(String(cString: strerror(errno)))")
        }
        var files: [String] = []
        var messages: [[String: Any]] = []
        for (index, message) in detail.messages.enumerated() {
            let name = "\(reference)/message-\(index + 1)-\(message.disposition).eml"
            try writeFile(name, message.raw)
            files.append(name)
            messages.append(["file": name, "kind": message.disposition, "filed_at": message.filedAt, "size": message.size])
        }
        var attachments: [[String: Any]] = []
        var parsed: [Int64: [MIMEPart]] = [:]
        for (index, attachment) in detail.attachments.enumerated() {
            // One the stored mail no longer holds (cut at max_message_size) is left out; inquiries.json lists what was written.
            guard let bytes = try? Commands.attachmentBytes(detail, number: index + 1, parsed: &parsed) else { continue }
            let name = "\(reference)/attachment-\(index + 1)-\(Self.safeName(attachment.filename))"
            try writeFile(name, bytes)
            files.append(name)
            attachments.append(["file": name, "filename": attachment.filename, "content_type": attachment.contentType, "size": attachment.size])
        }
        var sent: [[String: Any]] = []
        for (index, mail) in access.sentMail.enumerated() where !mail.content.isEmpty {
            let name = "\(reference)/sent-\(index + 1)-\(mail.kind).eml"
            try writeFile(name, mail.content)
            files.append(name)
            sent.append(["file": name, "kind": mail.kind, "status": mail.status, "created_at": mail.createdAt, "sent_at": mail.sentAt as Any])
        }
        let record = ((try? JSONValue(encoding: detail.record))?.object ?? [:]).mapValues { $0 as Any }
        let json: [String: Any] = [
            "inquiry": record,
            "legal_hold": access.heldReason != nil,
            "corrections": detail.corrections.map { ["at": $0.correctedAt, "before": $0.before.summary, "after": $0.after.summary] },
            "history": detail.events.map { ["at": $0.at, "action": $0.action, "status": $0.status] },
            "messages": messages,
            "attachments": attachments,
            "mail_sent": sent,
        ]
        return (files, json)
    }
}
