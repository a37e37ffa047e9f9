/// The README of a person's access export (GDPR Article 15): what the folder holds, why the office
/// keeps it, for how long, and the person's rights — in Slovenian and English, as the office's
/// letters are. Pure text: the command line gathers the facts and writes the files.
public struct SubjectAccessReadme: Sendable {
    /// One inquiry as the README lists it.
    public struct Item: Sendable {
        public var reference: String
        public var receivedAt: String
        public var field: String
        public var status: String
        public var closedAt: String?
        public var heldReason: String?
        /// The files of this inquiry, relative to the folder.
        public var files: [String]

        public init(reference: String, receivedAt: String, field: String, status: String, closedAt: String?, heldReason: String?, files: [String]) {
            self.reference = reference
            self.receivedAt = receivedAt
            self.field = field
            self.status = status
            self.closedAt = closedAt
            self.heldReason = heldReason
            self.files = files
        }
    }

    public var office: OfficeSettings
    public var retention: RetentionSettings
    public var addresses: [String]
    public var preparedOn: String
    public var items: [Item]

    public init(office: OfficeSettings, retention: RetentionSettings, addresses: [String], preparedOn: String, items: [Item]) {
        self.office = office
        self.retention = retention
        self.addresses = addresses
        self.preparedOn = preparedOn
        self.items = items
    }

    /// How long an inquiry of `item`'s field is kept, in both languages.
    func retention(of item: Item) -> (sl: String, en: String) {
        guard let period = retention.period(for: item.field) else {
            return ("hrani se trajno (arhivsko gradivo po klasifikacijskem načrtu)", "kept permanently (archives, under the classification plan)")
        }
        let amount = period.years > 0 ? (sl: "\(period.years) let", en: "\(period.years) years") : (sl: "\(period.days) dni", en: "\(period.days) days")
        let action = retention.expiry(for: item.field) == .delete ? (sl: "nato izbriše", en: "then deleted") : (sl: "nato anonimizira", en: "then anonymised")
        if let closed = item.closedAt.flatMap(MailDate.parseISO8601) {
            let until = period.after(HolidayCalendar.Day(local: closed))
            return ("hrani se do \(until) (\(amount.sl) po zaključku), \(action.sl)", "kept until \(until) (\(amount.en) after it was closed), \(action.en)")
        }
        return ("hrani se \(amount.sl) po zaključku zadeve, \(action.sl)", "kept \(amount.en) after the matter is closed, \(action.en)")
    }

    public var text: String {
        var lines: [String] = []
        let who = addresses.joined(separator: ", ")
        lines += [
            "\(office.name)",
            "",
            "OSEBNI PODATKI, KI JIH HRANIMO O VAS (člen 15 Splošne uredbe o varstvu podatkov)",
            "Pripravljeno \(preparedOn) za naslov(e): \(who)",
            "",
            "Vsebina mape:",
            "  inquiries.json  vaše zadeve s podatki, ki smo jih zapisali: prejem, razvrstitev (področje, vrsta",
            "                  pošiljatelja, namen, jezik), popravki razvrstitve, potek (odgovorjeno, zaključeno)",
            "                  in pošta, ki smo jo poslali o njih",
            "  REFERENCA/      za vsako zadevo: sporočila, kot smo jih prejeli (.eml, odpre jih vsak poštni",
            "                  program), njihove priloge ter potrdilo o prejemu, ki smo vam ga poslali, in",
            "                  obvestilo službi, ki zadevo obravnava",
            "",
            "Zadeve (\(items.count)):",
        ]
        for item in items {
            lines.append("  \(item.reference)  prejeto \(item.receivedAt.prefix(10))  \(item.field)  \(item.status)")
            lines.append("      \(retention(of: item).sl)\(item.heldReason != nil ? "; zadržano zaradi pravnega postopka" : "")")
        }
        lines += [
            "",
            "Nameni in pravna podlaga: obravnava vašega dopisa in odgovor v 15 dneh (17. člen Uredbe o upravnem",
            "poslovanju), potrdilo o prejemu, dodelitev pristojni službi, statistika dela urada in hramba",
            "dokumentarnega gradiva po zakonu (ZVDAGA) — izvajanje javne naloge in zakonske obveznosti",
            "(člen 6(1)(c) in (e) Splošne uredbe).",
            "",
            "Vaše pravice: popravek (člen 16), izbris (člen 17, razen kjer nas k hrambi zavezuje zakon ali",
            "arhiviranje), omejitev obdelave (člen 18), ugovor (člen 21) in pritožba pri Informacijskem",
            "pooblaščencu (www.ip-rs.si).",
            "",
            "Kontakt: \(office.name), \(office.email.address), tel. \(office.phone), \(office.address)",
            "",
            "----------------------------------------------------------------------------------------------",
            "",
            "PERSONAL DATA WE HOLD ABOUT YOU (Article 15 of the General Data Protection Regulation)",
            "Prepared \(preparedOn) for the address(es): \(who)",
            "",
            "This folder holds:",
            "  inquiries.json  your inquiries with what we recorded of them: receipt, classification (field,",
            "                  sender type, intent, language), corrections of it, their course (answered,",
            "                  closed), and the mail we sent about them",
            "  REFERENCE/      for each inquiry: the messages as we received them (.eml, which any mail program",
            "                  opens), their attachments, the acknowledgement we sent you and the notice to the",
            "                  desk handling the inquiry",
            "",
            "Inquiries (\(items.count)):",
        ]
        for item in items {
            lines.append("  \(item.reference)  received \(item.receivedAt.prefix(10))  \(item.field)  \(item.status)")
            lines.append("      \(retention(of: item).en)\(item.heldReason != nil ? "; kept under a legal hold" : "")")
        }
        lines += [
            "",
            "Purposes and legal basis: handling your letter and answering it within 15 days (Article 17 of the",
            "Decree on Administrative Operations), acknowledging it, passing it to the desk responsible, the",
            "office's statistics, and keeping records as the law requires (ZVDAGA) — a public task and a legal",
            "obligation (Article 6(1)(c) and (e) GDPR).",
            "",
            "Your rights: rectification (Article 16), erasure (Article 17, except where the law or archiving",
            "requires us to keep it), restriction (Article 18), objection (Article 21), and a complaint to the",
            "Information Commissioner of Slovenia (www.ip-rs.si).",
            "",
            "Contact: \(office.name), \(office.email.address), phone \(office.phone), \(office.address)",
        ]
        return lines.joined(separator: "\n") + "\n"
    }
}
