import Foundation
import Testing
@testable import MailIntakeCore

/// The acknowledgement planner's rules without a database: whom it answers, when it holds,
/// whom it tells, and what it never does.
@Suite("Acknowledgement planner")
struct AcknowledgementPlannerTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    static func planner(routing: String = "[routing]\ndefault = desk@maribor.example\n", ack: String = "",
                        from: String = "mednarodno@maribor.example") throws -> AcknowledgementPlanner {
        let text = """
            [imap]
            url = imaps://imap.example.org:993
            user = office@maribor.example
            [smtp]
            url = smtps://smtp.example.org:465
            from = \(from)
            [store]
            path = mailintake.sqlite
            [office]
            name = Urad za mednarodno sodelovanje
            email = mednarodno@maribor.example
            phone = 02/2201-219
            [ack]
            reference_prefix = MB
            templates = \(repository)/config/templates
            max_per_sender_per_day = 2
            max_per_hour = 5
            \(ack)
            [classifier]
            vocabulary = \(repository)/config/vocabulary
            [web_form]
            senders = form@maribor.example
            \(routing)
            """
        let configuration = try Configuration.parse(try INIFile(path: "test.conf", text: text))
        return AcknowledgementPlanner(configuration: configuration, templates: try AckTemplates(directory: configuration.ack.templatesDirectory))
    }

    static func letter(_ text: String, adopted: Bool = false) -> AcknowledgementPlanner.Letter {
        let parsed = MessageParser.parse(Fixtures.mail(text))
        let classifier = KeywordClassifier(vocabulary: Fixtures.vocabulary, webFormSenders: ["form@maribor.example"])
        let author = classifier.author(of: parsed)
        return .init(parsed: parsed, author: author, classification: classifier.classify(author), adopted: adopted)
    }

    static let direct = """
        Return-Path: <ana@example.org>
        From: Ana Novak <ana@example.org>
        Reply-To: ana.novak@example.org
        To: mednarodno@maribor.example
        Subject: Pobratena mesta
        Message-ID: <q1@example.org>

        Pozdravljeni, zanima me seznam pobratenih mest Maribora.
        """

    /// Counts that fail the test when they are asked, for plans that must not need them.
    static var unasked: AcknowledgementPlanner.Counts { AcknowledgementPlanner.Counts(toRecipientToday: { _ in Issue.record("counted"); return 0 }) }
    static func counts(_ perSender: Int) -> AcknowledgementPlanner.Counts {
        .init(toRecipientToday: { _ in perSender })
    }

    @Test("an ordinary inquiry: acknowledged to its sender in its language, the desk told, answering the notification answers the person")
    func ordinary() throws {
        let plan = try Self.planner().plan(Self.letter(Self.direct), reference: "MB-2026-000001", received: Date(), now: Date(), counts: Self.counts(0))
        #expect(plan.acknowledgement == .queued)
        let mail = try #require(plan.acknowledgementMail)
        #expect(mail.to.address == "ana@example.org")
        #expect(mail.subject.contains("MB-2026-000001"))
        #expect(mail.extraHeaders.contains { $0.0 == "Auto-Submitted" && $0.1 == "auto-replied" })
        #expect(plan.staff?.address == "desk@maribor.example")
        let notification = String(decoding: try #require(plan.notification).rendered(), as: UTF8.self)
        #expect(notification.contains("Reply-To: <ana.novak@example.org>"), "\(notification)")
    }

    @Test("[smtp] from may carry a name: the acknowledgement's From shows it, the envelope keeps the address")
    func fromWithName() throws {
        let planner = try Self.planner(from: "Urad za mednarodno sodelovanje <mednarodno@maribor.example>")
        #expect(planner.configuration.smtp.from.address == "mednarodno@maribor.example")
        #expect(planner.configuration.smtp.from.displayName == "Urad za mednarodno sodelovanje")
        let mail = try #require(try planner.plan(Self.letter(Self.direct), reference: "MB-2026-000009", received: Date(), now: Date(), counts: Self.counts(0)).acknowledgementMail)
        let text = String(decoding: mail.rendered(), as: UTF8.self)
        #expect(text.contains("From: \"Urad za mednarodno sodelovanje\" <mednarodno@maribor.example>"), "\(text.prefix(400))")
        #expect(throws: ConfigurationError.self) { try Self.planner(from: "Urad <not an address>") }
    }

    @Test("the per-sender limit and an inquiry older than max_age hold the acknowledgement; the hourly cap never does")
    func limits() throws {
        let planner = try Self.planner()
        let now = Date()
        let perSender = try planner.plan(Self.letter(Self.direct), reference: "MB-2026-000002", received: now, now: now, counts: Self.counts(2))
        #expect(perSender.acknowledgement == .held(reason: "rate limit: 2 acknowledgements to this address in 24 hours ([ack] max_per_sender_per_day = 2)", limit: "ana@example.org"))
        #expect(perSender.acknowledgementMail != nil, "held mail waits in the outbox")
        // Whatever went out this hour, a new inquiry's acknowledgement is queued: the outbox paces it.
        #expect(try planner.plan(Self.letter(Self.direct), reference: "MB-2026-000003", received: now, now: now, counts: Self.counts(1)).acknowledgement == .queued)
        let old = try planner.plan(Self.letter(Self.direct), reference: "MB-2026-000004", received: now.addingTimeInterval(-10 * 86_400), now: now, counts: Self.counts(0))
        guard case .held(let reason, let limit) = old.acknowledgement else { Issue.record("not held: \(old.acknowledgement)"); return }
        #expect(limit == "age")
        #expect(reason.contains("received 10 days before") && reason.contains("max_age = 7d"))
        #expect(old.notification.map { String(decoding: $0.rendered(), as: UTF8.self).contains("held") } == true, "the desk is told it is held")
        #expect(try planner.plan(Self.letter(Self.direct), reference: "MB-2026-000005", received: now.addingTimeInterval(-6 * 86_400), now: now, counts: Self.counts(0)).acknowledgement == .queued)
    }

    @Test("forwards, adopted mail, our own mail and switched-off acknowledgements are not answered, and nothing is counted")
    func notAnswered() throws {
        let forward = """
            Return-Path: <kolega@maribor.example>
            From: Kolega <kolega@maribor.example>
            Subject: FW: Vprašanje
            Message-ID: <fw1@maribor.example>

            Posredujem v obravnavo.

            ---------- Posredovano sporočilo ----------
            Od: Marko Horvat <marko@example.org>
            Datum: 1. 12. 2026
            Zadeva: Vprašanje
            Za: info@maribor.example

            Zanima me, kako se prijavim na izmenjavo.
            """
        let planner = try Self.planner()
        let forwarded = try planner.plan(Self.letter(forward), reference: "MB-2026-000004", received: Date(), now: Date(), counts: Self.unasked)
        #expect(forwarded.acknowledgement.reason?.hasPrefix("forwarded by kolega@maribor.example") == true, "\(forwarded.acknowledgement)")
        #expect(forwarded.acknowledgementMail == nil && forwarded.staff != nil)
        let adopted = try planner.plan(Self.letter(Self.direct, adopted: true), reference: "MB-2026-000005", received: Date(), now: Date(), counts: Self.unasked)
        #expect(adopted.acknowledgement.reason?.hasPrefix("adopted") == true && adopted.acknowledgementMail == nil && adopted.staff == nil)
        let ours = try planner.plan(Self.letter(Self.direct.replacingOccurrences(of: "Message-ID", with: "\(AckPolicy.loopMarkerHeader): MB-2026-000001\nMessage-ID")),
                                    reference: "MB-2026-000006", received: Date(), now: Date(), counts: Self.unasked)
        #expect(ours.acknowledgementMail == nil && ours.staff == nil && ours.notification == nil)
        let off = try Self.planner(ack: "enabled = no").plan(Self.letter(Self.direct), reference: "MB-2026-000007", received: Date(), now: Date(), counts: Self.unasked)
        #expect(off.acknowledgement == .suppressed(reason: "acknowledgements are switched off ([ack] enabled = no)"))
        #expect(planner.followUpNotification(Self.letter(Self.direct, adopted: true), reference: "MB-2026-000001",
                                             staff: MailAddress(validating: "desk@maribor.example"), received: Date(), now: Date()) == nil)
    }

    @Test("a web form's inquiry is acknowledged to the address the person gave; without routing nobody is told")
    func webForm() throws {
        let form = """
            Return-Path: <form@maribor.example>
            From: Spletni obrazec <form@maribor.example>
            Subject: Nov vnos iz spletnega obrazca
            Message-ID: <wf1@maribor.example>

            Ime in priimek: Petra Kos
            E-pošta: petra.kos@example.org
            Ste fizična ali pravna oseba?: fizična
            Vrsta zahteve: Prošnja za razgovor
            Sporočilo: Želim se dogovoriti za razgovor o izmenjavi dijakov.
            """
        let plan = try Self.planner(routing: "").plan(Self.letter(form), reference: "MB-2026-000008", received: Date(), now: Date(), counts: Self.counts(0))
        #expect(plan.acknowledgementMail?.to.address == "petra.kos@example.org", "\(plan.acknowledgement)")
        #expect(plan.staff == nil && plan.notification == nil)
    }

    @Test("a desk gets its digest; the office's own mailbox, an invalid desk or a day with nothing to say gets none")
    func digests() throws {
        let planner = try Self.planner()
        let today = HolidayCalendar.Day(year: 2026, month: 12, day: 1)
        let late = DeadlineDigest.Item(reference: "MB-2026-000001", received: today.adding(days: -20), due: today.adding(days: -5), subject: "s")
        let mail = try #require(planner.digest(for: "desk@maribor.example", items: [late], today: today, now: Date()))
        #expect(mail.from.address == "mednarodno@maribor.example" && mail.to.address == "desk@maribor.example")
        #expect(planner.digest(for: "mednarodno@maribor.example", items: [late], today: today, now: Date()) == nil)
        #expect(planner.digest(for: "MEDNARODNO+x@maribor.example", items: [late], today: today, now: Date()) == nil)
        #expect(planner.digest(for: "not an address", items: [late], today: today, now: Date()) == nil)
        let later = DeadlineDigest.Item(reference: "MB-2026-000002", received: today, due: today.adding(days: 15), subject: "s")
        #expect(planner.digest(for: "desk@maribor.example", items: [later], today: today, now: Date()) == nil)
    }

    @Test("replies are found by the reference in the subject, then by the Message-IDs they answer")
    func threadKeys() throws {
        let planner = try Self.planner()
        let reply = MessageParser.parse(Fixtures.mail("From: a@b.si\nSubject: Re: [MB-2026-000042] Pobratena mesta\nIn-Reply-To: <ack@maribor.example>\nReferences: <q1@example.org> <ack@maribor.example>\n\nHvala\n"))
        let keys = planner.threadKeys(of: reply)
        #expect(keys.reference == "MB-2026-000042")
        #expect(keys.messageIDs == ["ack@maribor.example", "q1@example.org", "ack@maribor.example"])
    }
}

/// The outbox's rules for a round of sending, without a server.
@Suite("Delivery round")
struct DeliveryRoundTests {
    static func settings() throws -> AckSettings {
        try AcknowledgementPlannerTests.planner(ack: "retry_delay = 60\nmax_attempts = 4").configuration.ack
    }

    @Test("a temporary refusal retries with a doubling delay; three in a row stop the round; a mail sent breaks the run")
    func temporary() throws {
        var round = DeliveryRound(settings: try Self.settings())
        let now = Date(timeIntervalSince1970: 1_000_000)
        #expect(round.failed(.temporary, attempts: 1, now: now) == .init(action: .retry(at: now.addingTimeInterval(60)), stopsRound: false))
        #expect(round.failed(.temporary, attempts: 3, now: now) == .init(action: .retry(at: now.addingTimeInterval(240)), stopsRound: false))
        round.sent()
        #expect(round.failed(.temporary, attempts: 1, now: now).stopsRound == false)
        #expect(round.failed(.temporary, attempts: 1, now: now).stopsRound == false)
        #expect(round.failed(.temporary, attempts: 1, now: now).stopsRound == true)
        #expect(round.failed(.temporary, attempts: 4, now: now) == .init(action: .fail, stopsRound: false), "max_attempts reached")
        #expect(DeliveryRound.delay(afterAttempt: 40, settings: try Self.settings()) == DeliveryRound.longestDelay)
    }

    @Test("a permanent refusal fails that mail only; the server's own failure releases it and stops; no answer after the data is unconfirmed")
    func others() throws {
        var round = DeliveryRound(settings: try Self.settings())
        let now = Date()
        #expect(round.failed(.permanent, attempts: 1, now: now) == .init(action: .fail, stopsRound: false))
        #expect(round.failed(.serverUnavailable, attempts: 1, now: now) == .init(action: .release, stopsRound: true))
        #expect(round.failed(.unconfirmed, attempts: 1, now: now) == .init(action: .unconfirmed, stopsRound: true))
    }

    @Test("the hourly cap: acknowledgements stop at max_per_hour for the window, notifications do not, and the next may go when the first leaves it")
    func cap() throws {
        let settings = try AcknowledgementPlannerTests.planner(ack: "rate_window = 10m").configuration.ack  // max_per_hour = 5
        var round = DeliveryRound(settings: settings)
        #expect(round.mayAcknowledge, "no cap counted yet")
        round.limitAcknowledgements(sentInWindow: 3)
        round.sent(acknowledgement: true)
        round.sent(acknowledgement: false)  // a notification is not counted
        #expect(round.mayAcknowledge)
        round.sent(acknowledgement: true)
        #expect(!round.mayAcknowledge)
        var full = DeliveryRound(settings: settings)
        full.limitAcknowledgements(sentInWindow: 9)
        #expect(!full.mayAcknowledge && full.acknowledgementsAllowed == 0)
        let first = Date(timeIntervalSince1970: 1_000_000)
        #expect(full.nextAcknowledgementAt(firstInWindow: first, now: first.addingTimeInterval(100)) == first.addingTimeInterval(600))
    }
}
