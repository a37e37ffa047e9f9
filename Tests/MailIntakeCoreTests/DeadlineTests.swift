import Foundation
import Testing
@testable import MailIntakeCore

/// The 15-day duty, the inquiry's statuses, what counts as the office's answer, and the digest.
@Suite("Deadlines, statuses and answers")
struct DeadlineTests {
    typealias Day = HolidayCalendar.Day

    /// Noon on `day`, local time: the day of receipt whatever the zone.
    static func noon(_ day: Day) -> Date { day.localNoon }

    @Test("a day given alone (answered --at DAY) is that day's noon, or now when it is today and noon is still ahead")
    func dayAsMoment() {
        let today = Day(year: 2026, month: 12, day: 2)
        let morning = today.localNoon.addingTimeInterval(-3 * 3600)
        #expect(today.moment(now: morning) == morning, "at nine, today's answer was given by now, not at noon")
        let evening = today.localNoon.addingTimeInterval(6 * 3600)
        #expect(today.moment(now: evening) == today.localNoon)
        #expect(Day(year: 2026, month: 12, day: 1).moment(now: morning) == Day(year: 2026, month: 12, day: 1).localNoon)
        #expect(Day(year: 2026, month: 12, day: 3).moment(now: morning) == Day(year: 2026, month: 12, day: 3).localNoon, "tomorrow stays in the future, to be refused")
    }

    @Test("weekdays are right across years (1970-01-01 a Thursday, Easter Monday 2027 a Monday)")
    func weekdays() {
        #expect(Day(year: 1970, month: 1, day: 1).weekday == 4)
        #expect(Day(year: 1969, month: 12, day: 31).weekday == 3)
        #expect(Day(year: 2027, month: 3, day: 29).weekday == 1)
        #expect(Day(year: 2026, month: 12, day: 1).weekday == 2)
        #expect(Day(year: 2028, month: 2, day: 29).weekday == 2)
        #expect(Day(year: 2026, month: 12, day: 1).days(to: Day(year: 2027, month: 1, day: 1)) == 31)
    }

    @Test("due 15 calendar days after receipt; a deadline ending on a weekend or work-free day ends on the next working day")
    func due() {
        let settings = DeadlineSettings(), holidays = HolidayCalendar()
        func due(_ received: Day, field: String = "culture", _ s: DeadlineSettings = DeadlineSettings()) -> String {
            s.due(received: Self.noon(received), field: field, holidays: holidays).description
        }
        #expect(settings.days(for: "sport") == 15)
        // Tuesday 1 December 2026 + 15 = Wednesday 16 December.
        #expect(due(Day(year: 2026, month: 12, day: 1)) == "2026-12-16")
        // 16 days ago on 1 December 2026 is Sunday 15 November: due Monday 30 November, overdue on the 1st.
        #expect(due(Day(year: 2026, month: 11, day: 15)) == "2026-11-30")
        // 10 December + 15 = Friday 25 December (Christmas), then 26 (holiday, Saturday), 27 (Sunday): Monday 28.
        #expect(due(Day(year: 2026, month: 12, day: 10)) == "2026-12-28")
        // 14 March 2027 + 15 = Easter Monday 29 March 2027: Tuesday 30 March.
        #expect(due(Day(year: 2027, month: 3, day: 14)) == "2027-03-30")
        // 16 April 2028 + 15 = Monday 1 May 2028, then 2 May (both holidays): Wednesday 3 May.
        #expect(due(Day(year: 2028, month: 4, day: 16)) == "2028-05-03")
        // A one-off work-free day from the configuration moves it too.
        var extra = HolidayCalendar(extraDays: [Day(year: 2026, month: 12, day: 16)])
        #expect(settings.due(received: Self.noon(Day(year: 2026, month: 12, day: 1)), field: "x", holidays: extra).description == "2026-12-17")
        extra = HolidayCalendar()
        // A field's own period.
        let culture = DeadlineSettings(answerWithin: ["default": 15, "culture": 30])
        #expect(due(Day(year: 2026, month: 12, day: 1), field: "culture", culture) == "2026-12-31")
        #expect(due(Day(year: 2026, month: 12, day: 1), field: "sport", culture) == "2026-12-16")
    }

    @Test("statuses move open → answered → closed and back only as allowed, with a reason otherwise")
    func statuses() {
        #expect(InquiryStatus.open.after(.answer) == .answered)
        #expect(InquiryStatus.answered.after(.close) == .closed)
        #expect(InquiryStatus.open.after(.close) == .closed)
        #expect(InquiryStatus.closed.after(.reopen) == .open)
        #expect(InquiryStatus.answered.after(.reopen) == .open)
        #expect(InquiryStatus.closed.after(.followUp) == .open)
        #expect(InquiryStatus.answered.after(.followUp) == .open)
        #expect(InquiryStatus.open.after(.interim) == .open)
        #expect(InquiryStatus.answered.after(.answer) == nil)
        #expect(InquiryStatus.closed.after(.answer) == nil)
        #expect(InquiryStatus.open.after(.reopen) == nil)
        #expect(InquiryStatus.closed.after(.close) == nil)
        #expect(InquiryStatus.closed.after(.interim) == nil)
        #expect(InquiryStatus.closed.refusal(.answer).contains("reopen"))
    }

    static func parsed(_ headers: String) -> ParsedMessage {
        MessageParser.parse(Array((headers + "\n\nbody\n").utf8))
    }

    @Test("an office reply answers when it threads to the inquiry and goes to its author; a forward, our own mail or an auto-reply does not")
    func officeReplies() throws {
        let reply = try #require(OfficeReply.read(Self.parsed("""
            From: Urad <mednarodno@maribor.si>
            Sender: mojca.novak@maribor.si
            To: Ana <ANA@example.si>
            Cc: arhiv@maribor.si
            Subject: Re: Prošnja
            In-Reply-To: <a1@example.si>
            References: <a0@example.si> <a1@example.si>
            Date: Tue, 01 Dec 2026 10:00:00 +0100
            """), referencePrefix: "MB"))
        #expect(reply.keys.messageIDs.first == "a1@example.si" || reply.keys.messageIDs.first == "<a1@example.si>")
        #expect(reply.answeredBy == "mojca.novak@maribor.si")
        #expect(reply.answers(author: "ana@example.si", replyTo: nil))
        #expect(reply.answers(author: "someone@else.si", replyTo: "Ana@Example.si"))
        #expect(!reply.answers(author: "bojan@example.si", replyTo: nil))
        // By our reference in the subject alone.
        #expect(OfficeReply.read(Self.parsed("From: a@maribor.si\nTo: b@x.si\nSubject: Re: [MB-2026-000042] Prošnja"), referencePrefix: "MB")?.keys.reference == "MB-2026-000042")
        // Threads to nothing.
        #expect(OfficeReply.read(Self.parsed("From: a@maribor.si\nTo: b@x.si\nSubject: Hello"), referencePrefix: "MB") == nil)
        // Automatic mail: an auto-reply, or ours (the loop marker).
        #expect(OfficeReply.read(Self.parsed("From: a@maribor.si\nTo: b@x.si\nAuto-Submitted: auto-replied\nIn-Reply-To: <x@y>"), referencePrefix: "MB") == nil)
        #expect(OfficeReply.read(Self.parsed("From: a@maribor.si\nTo: b@x.si\nAuto-Submitted: no\nIn-Reply-To: <x@y>"), referencePrefix: "MB") != nil)
        #expect(OfficeReply.read(Self.parsed("From: a@maribor.si\nTo: b@x.si\n\(AckPolicy.loopMarkerHeader): MB-2026-000001\nIn-Reply-To: <x@y>"), referencePrefix: "MB") == nil)
    }

    @Test("staff are the office's addresses, the desks, listed addresses and @domains, case-insensitively")
    func staff() {
        let staff = StaffDirectory(addresses: ["Mednarodno@Maribor.si"], domains: ["maribor.si"])
        #expect(staff.isStaff("mednarodno@maribor.si"))
        #expect(staff.isStaff("Mojca.Novak@MARIBOR.SI"))
        #expect(!staff.isStaff("ana@example.si"))
        #expect(!staff.isStaff("x@evil-maribor.si"))
        #expect(!staff.isStaff(nil))
    }

    @Test("the digest lists a desk's overdue and due-soon inquiries, says nothing when there is nothing, and is one per desk and day")
    func digest() throws {
        let desk = try #require(MailAddress(validating: "desk@maribor.si"))
        let today = Day(year: 2026, month: 12, day: 1)
        func item(_ n: Int, due: Day) -> DeadlineDigest.Item {
            DeadlineDigest.Item(reference: "MB-2026-00000\(n)", received: due.adding(days: -15), due: due, subject: "Subject \(n)")
        }
        #expect(DeadlineDigest(desk: desk, day: today, items: [item(1, due: today.adding(days: 4))], dueSoon: 3) == nil)
        let digest = try #require(DeadlineDigest(desk: desk, day: today, items: [
            item(1, due: today.adding(days: 4)), item(2, due: today.adding(days: -1)), item(3, due: today), item(4, due: today.adding(days: 3)),
            item(5, due: today.adding(days: -9)),
        ], dueSoon: 3))
        #expect(digest.overdue.map(\.reference) == ["MB-2026-000005", "MB-2026-000002"])
        #expect(digest.dueSoon.map(\.reference) == ["MB-2026-000003", "MB-2026-000004"])
        let from = try #require(MailAddress(validating: "mednarodno@maribor.si"))
        let mail = digest.mail(from: from, messageIDDomain: "maribor.si", now: Date())
        let text = String(decoding: mail.rendered(), as: UTF8.self)
        #expect(text.contains("Auto-Submitted: auto-generated"))
        #expect(mail.subject == "Deadlines 2026-12-01: 2 overdue, 2 due soon")
        #expect(mail.body.contains("MB-2026-000005  received 2026-11-07, due 2026-11-22, 9 day(s) late"))
        #expect(mail.body.contains("due today"))
        #expect(!mail.body.contains("MB-2026-000001"))
        let again = digest.mail(from: from, messageIDDomain: "maribor.si", now: Date().addingTimeInterval(3600))
        #expect(again.messageID == mail.messageID, "one Message-ID per desk and day: the outbox keeps it once")
        let otherDesk = try #require(MailAddress(validating: "other@maribor.si"))
        let other = try #require(DeadlineDigest(desk: otherDesk, day: today, items: [item(2, due: today)], dueSoon: 3))
        #expect(other.mail(from: from, messageIDDomain: "maribor.si", now: Date()).messageID != mail.messageID)
    }

    @Test("[deadlines] and [office] staff are read with file, line and key in every error; staff commands read no secret")
    func configuration() throws {
        let base = """
            [imap]
            url = imaps://imap.example.org
            user = u
            password_file = /nonexistent/imap.password
            sent_folder = Sent Items
            [smtp]
            url = smtp://smtp.example.org
            from = a@maribor.si
            [store]
            path = /tmp/x.sqlite
            [office]
            name = Urad
            email = a@maribor.si
            phone = 02/2201-219
            staff = @maribor.si, mojca@gmail.com
            [ack]
            templates = /tmp
            [classifier]
            vocabulary = /tmp
            [routing]
            culture = kultura@maribor.si
            """
        let file = { (extra: String) in try INIFile(path: "/etc/m.conf", text: base + "\n" + extra) }
        // The password file does not exist: only a command that logs in needs it.
        let staffView = try Configuration.parse(try file("[deadlines]\nanswer_within = 20d\nanswer_within.culture = 30d\ndue_soon = 5d\ndigest_at = 07:30"), readingSecrets: false)
        #expect(staffView.deadlines.days(for: "culture") == 30)
        #expect(staffView.deadlines.days(for: "sport") == 20)
        #expect(staffView.deadlines.dueSoon == 5)
        #expect(staffView.deadlines.digestAt == 7 * 60 + 30)
        #expect(staffView.imap.sentFolder == "Sent Items")
        #expect(staffView.staff.isStaff("kultura@maribor.si") && staffView.staff.isStaff("mojca@gmail.com") && staffView.staff.isStaff("x@maribor.si"))
        #expect(throws: ConfigurationError.self) { try Configuration.parse(try file("")) }
        for (extra, key) in [("[deadlines]\nanswer_within.dance = 5d", "deadlines.answer_within.dance"), ("[deadlines]\ndigest_at = 8am", "deadlines.digest_at"),
                             ("[deadlines]\nanswer_within = 0d", "deadlines.answer_within")] {
            let ini = try file(extra)
            do {
                _ = try Configuration.parse(ini, readingSecrets: false)
                Issue.record("\(extra) was accepted")
            } catch {
                #expect(error.key == key, "\(error)")
                #expect(error.line > 20, "\(error)")
            }
        }
    }
}

@Suite("The digest's hour")
struct DigestTimeTests {
    @Test("the digest may go from digest_at on, local time, and not before")
    func digestTime() {
        let noon = HolidayCalendar.Day(year: 2026, month: 12, day: 1).localNoon
        #expect(DeadlineSettings(digestAt: 12 * 60).isDigestTime(noon))
        #expect(DeadlineSettings(digestAt: 8 * 60).isDigestTime(noon))
        #expect(!DeadlineSettings(digestAt: 12 * 60 + 1).isDigestTime(noon))
        #expect(!DeadlineSettings(digestAt: 23 * 60).isDigestTime(noon))
    }
}
