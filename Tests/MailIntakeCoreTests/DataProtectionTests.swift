import Foundation
import Testing
@testable import MailIntakeCore

@Suite("Data protection: retention periods, the plan, a person's addresses, the keyed hash")
struct DataProtectionTests {
    typealias Day = HolidayCalendar.Day

    @Test("periods: years by the calendar (29 February plus a year is 1 March), days; anything else refused")
    func periods() {
        #expect(RetentionSettings.Period("10y") == .init(years: 10))
        #expect(RetentionSettings.Period(" 90D ") == .init(days: 90))
        for bad in ["", "y", "10", "-1y", "0y", "101y", "1.5y", "10m", "1e3d", "ten years"] {
            #expect(RetentionSettings.Period(bad) == nil, "\(bad)")
        }
        #expect(RetentionSettings.Period(years: 10).after(Day(year: 2016, month: 3, day: 1)) == Day(year: 2026, month: 3, day: 1))
        #expect(RetentionSettings.Period(years: 1).after(Day(year: 2024, month: 2, day: 29)) == Day(year: 2025, month: 3, day: 1))
        #expect(RetentionSettings.Period(days: 30).after(Day(year: 2026, month: 12, day: 15)) == Day(year: 2027, month: 1, day: 14))
        #expect(RetentionSettings.Period(years: 10).before(Day(year: 2026, month: 3, day: 1)) == Day(year: 2016, month: 3, day: 1))
        #expect(RetentionSettings.Period(days: 30).before(Day(year: 2027, month: 1, day: 14)) == Day(year: 2026, month: 12, day: 15))
    }

    static func candidate(_ id: Int64, field: String = "culture", status: InquiryStatus? = nil, received: String, answered: String? = nil,
                          closed: String? = nil, held: String? = nil, anonymised: Bool = false) -> RetentionCandidate {
        RetentionCandidate(id: id, reference: "MB-\(id)", field: field, status: status ?? (closed != nil ? .closed : .answered),
                           receivedAt: Day(iso: received)!.localNoon, answeredAt: answered.map { Day(iso: $0)!.localNoon },
                           closedAt: closed.map { Day(iso: $0)!.localNoon }, heldReason: held, anonymised: anonymised)
    }

    @Test("the plan counts from the closing, else the answer or the receipt; open ones never expire; per field, forever, the action; held ones apart; anonymised ones done")
    func plan() {
        let settings = RetentionSettings(periods: ["default": .init(years: 10), "other": .init(years: 2)], forever: ["economy"],
                                         expiries: ["default": .anonymise, "other": .delete])
        let today = Day(year: 2026, month: 12, day: 1)
        let candidates = [
            Self.candidate(1, received: "2016-01-10", closed: "2016-12-01"),  // ten years after closing: today
            Self.candidate(2, received: "2016-01-10", closed: "2016-12-02"),  // tomorrow
            Self.candidate(3, received: "2016-11-30"),                         // never closed: from receipt
            Self.candidate(4, field: "other", received: "2024-11-01", closed: "2024-11-30"),
            Self.candidate(5, field: "economy", received: "1995-05-05", closed: "1995-06-01"),
            Self.candidate(6, received: "2001-01-01", closed: "2001-02-01", held: "court"),
            Self.candidate(7, received: "2001-01-01", closed: "2001-02-01", anonymised: true),
            Self.candidate(8, field: "other", received: "2001-01-01", closed: "2001-02-01", anonymised: true),
            // Reopened by a follow-up (its closing cleared): open, the office owes an answer.
            Self.candidate(9, status: .open, received: "2001-01-01"),
            // Answered and never closed: from the answer.
            Self.candidate(10, received: "2001-01-01", answered: "2016-12-02"),
            Self.candidate(11, received: "2001-01-01", answered: "2016-11-01"),
        ]
        let plan = RetentionPlan.decide(candidates, settings: settings, today: today)
        #expect(plan.expired.map(\.id) == [1, 3, 4, 8, 11])
        #expect(plan.expired.map(\.action) == [.anonymise, .anonymise, .delete, .delete, .anonymise])
        #expect(plan.expired.map(\.basis) == ["closed 2016-12-01", "received 2016-11-30", "closed 2024-11-30", "closed 2001-02-01", "answered 2016-11-01"])
        #expect(plan.held.map(\.id) == [6])
        #expect(plan.expired[0].description == "MB-1  anonymise  culture: kept 10y after closed 2016-12-01, expired 2026-12-01")
        #expect(!RetentionSettings().isConfigured && RetentionPlan.decide(candidates, settings: RetentionSettings(), today: today).expired.isEmpty)
        #expect(!RetentionSettings(forever: ["default"]).isConfigured)
        #expect(RetentionSettings(periods: ["other": .init(years: 1)], forever: ["default"]).period(for: "culture") == nil)
    }

    @Test("[retention] is read with its errors naming file, line and key")
    func configuration() throws {
        let path = try ConfigurationTests.makeFolder(ConfigurationTests.valid + "\n[retention]\ndefault = 10y\nother = 2y\neconomy = forever\nexpiry = anonymise\nexpiry.other = delete\n")
        let config = try Configuration.load(path: path)
        #expect(config.retention.period(for: "culture") == .init(years: 10))
        #expect(config.retention.period(for: "other") == .init(years: 2))
        #expect(config.retention.period(for: "economy") == nil)
        #expect(config.retention.expiry(for: "other") == .delete && config.retention.expiry(for: "sport") == .anonymise)
        #expect(config.summary.contains("retention.economy = forever") && config.summary.contains("retention.expiry.other = delete"))
        #expect(try Configuration.load(path: try ConfigurationTests.makeFolder(ConfigurationTests.valid)).retention.isConfigured == false)
        for (bad, key) in [("default = 10 years", "retention.default"), ("sporty = 2y", "retention.sporty"),
                           ("expiry = shred", "retention.expiry"), ("expiry.nothing = delete", "retention.expiry.nothing")] {
            let error = ConfigurationTests.loadError(try ConfigurationTests.makeFolder(ConfigurationTests.valid + "\n[retention]\n" + bad + "\n"))
            #expect(error?.key == key, "\(bad)")
            #expect((error?.line ?? 0) > 0)
        }
    }

    @Test("a person's addresses match in any case and either form of an internationalised domain; the hash is keyed")
    func subject() throws {
        let subject = try DataSubject(addresses: ["Žiga.Kos@Čebelar.si", "ana@example.si"])
        #expect(subject.matches("žiga.kos@xn--ebelar-h2a.si"))
        #expect(subject.matches("ŽIGA.KOS@čebelar.SI"))
        #expect(subject.matches("ANA@EXAMPLE.SI"))
        #expect(!subject.matches("ana@example.com") && !subject.matches(nil) && !subject.matches("not an address"))
        #expect(throws: DataSubject.InvalidAddress.self) { try DataSubject(addresses: ["ana@example.si", "ana"]) }
        let key = Array("k".utf8)
        #expect(subject.hashes(key: key) == (try DataSubject(addresses: ["ana@EXAMPLE.si", "žiga.kos@xn--ebelar-h2a.si"])).hashes(key: key))
        #expect(subject.hashes(key: key) != subject.hashes(key: Array("other".utf8)))
        #expect(!subject.hashes(key: key).joined().contains("ana"))
    }

    @Test("HMAC-SHA256 matches RFC 4231's test cases")
    func hmac() {
        #expect(HMACSHA256.hex(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        // Test case 6: a key longer than the block is hashed first.
        #expect(HMACSHA256.hex(key: [UInt8](repeating: 0xaa, count: 131), message: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8))
                == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    @Test("the access export's README lists every inquiry with its retention, the purposes and the rights, in Slovenian and English")
    func readme() throws {
        let config = try Configuration.load(path: try ConfigurationTests.makeFolder(ConfigurationTests.valid))
        let readme = SubjectAccessReadme(
            office: config.office, retention: RetentionSettings(periods: ["default": .init(years: 10)], expiries: ["default": .anonymise]),
            addresses: ["ana@example.si"], preparedOn: "2026-12-01",
            items: [.init(reference: "MB-2026-000001", receivedAt: "2026-03-01T10:00:00Z", field: "culture", status: "closed",
                          closedAt: "2026-04-01T10:00:00Z", heldReason: nil, files: []),
                    .init(reference: "MB-2026-000002", receivedAt: "2026-05-01T10:00:00Z", field: "sport", status: "open",
                          closedAt: nil, heldReason: "court", files: [])]).text
        #expect(readme.contains("MB-2026-000001") && readme.contains("MB-2026-000002"))
        #expect(readme.contains("kept until 2036-04-01 (10 years after it was closed), then anonymised"))
        #expect(readme.contains("kept 10 years after the matter is closed, then anonymised; kept under a legal hold"))
        #expect(readme.contains("hrani se do 2036-04-01"))
        #expect(readme.contains("Article 15") && readme.contains("člen 15") && readme.contains("www.ip-rs.si"))
        #expect(readme.contains(config.office.email.address))
    }
}
