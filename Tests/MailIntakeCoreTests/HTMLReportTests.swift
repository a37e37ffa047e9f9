import Foundation
import Testing
@testable import MailIntakeCore

@Suite("HTML report: one closed file, escaped text, charts with their numbers")
struct HTMLReportTests {
    static let hostile = #"<script>alert(1)</script> & "x""#
    static let fields = ["economy", "culture", "education", "tourism", "sport", "social", "humanitarian", "other", "unclassified"]

    /// Half a year of an ordinary office: 26 weeks, 9 fields, a few open inquiries, one of them
    /// with a subject that tries to be markup.
    static func sample() -> ReportData {
        let weeks = (0..<26).map { week in
            ReportData.Week(start: monday(2026, 1, 5, plusWeeks: week),
                            byField: Dictionary(uniqueKeysWithValues: fields.enumerated().map { ($0.element, (week * 7 + $0.offset * 3) % 11) }))
        }
        return ReportData(
            office: "Urad za mednarodno in medmestno sodelovanje", since: "2026-01-05", until: "2026-07-05",
            generatedAt: "2026-07-06T07:30:00+02:00", total: weeks.reduce(0) { $0 + $1.byField.values.reduce(0, +) },
            fields: fields, weeks: weeks,
            senderTypes: [.init(label: "natural", count: 412), .init(label: "legal/company", count: 131), .init(label: "legal/municipality", count: 58)],
            languages: [.init(label: "sl", count: 398), .init(label: "en", count: 201), .init(label: "de", count: 72)],
            intents: [.init(label: "information_request", count: 301), .init(label: "twinning_proposal", count: 64)],
            acknowledgements: [.init(label: "sent", count: 689), .init(label: "bounced", count: 11), .init(label: "suppressed: mailing list", count: 38)],
            answered: 640, medianDaysToAnswer: 4.5, answeredWithinDeadline: 601,
            answerTimes: [.init(label: "0–1 days", count: 141), .init(label: "2–5 days", count: 248), .init(label: "over 15", count: 39)],
            overdue: [
                .init(reference: "UMS-2026-0412", received: "2026-06-04", due: "2026-06-25", field: "economy", desk: "Maja Kovač", subject: "Interreg partner search"),
                .init(reference: "UMS-2026-0433", received: "2026-06-08", due: "2026-06-29", field: "other", subject: hostile),
            ],
            dueSoon: [.init(reference: "UMS-2026-0501", received: "2026-06-17", due: "2026-07-08", field: "education", desk: "Ana Horvat", subject: "Erasmus+ exchange")],
            flagged: []
        )
    }

    @Test("a Content-Security-Policy that allows only the page's own stylesheet, by the hash of its text")
    func policy() throws {
        let page = HTMLReport.render(Self.sample())
        let style = try #require(Self.between(page, "<style>", "</style>"))
        #expect(page.components(separatedBy: "<style").count == 2, "one style element")
        var hasher = SHA256()
        hasher.update(Array(style.utf8))
        let hash = Data(hasher.finalize()).base64EncodedString()
        let policy = try #require(Self.between(page, #"<meta http-equiv="Content-Security-Policy" content=""#, #"">"#))
        #expect(policy == "default-src 'none'; style-src 'sha256-\(hash)'; img-src data:; base-uri 'none'; form-action 'none'")
        #expect(page.range(of: "Content-Security-Policy")!.lowerBound < page.range(of: "<style>")!.lowerBound, "the policy comes before the style it allows")
        #expect(page.hasPrefix("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">"))
        #expect(style.contains("@media print"))
    }

    @Test("no script, no address of anything to fetch, no style attribute the policy would block")
    func closed() {
        for data in [Self.sample(), ReportData(office: "Urad", generatedAt: "2026-07-06T07:30:00+02:00")] {
            let page = HTMLReport.render(data).lowercased()
            for forbidden in ["<script", "http://", "https://", "style=\"", "style='", "<link", "<img", " src=", "url(", "@import", "@font-face", "xmlns"] {
                #expect(!page.contains(forbidden), "\(forbidden)")
            }
        }
    }

    @Test("text from the data is escaped wherever it stands: subjects, labels, fields, dates, the office")
    func escaping() {
        var data = Self.sample()
        data.office = Self.hostile
        data.fields.append(Self.hostile)
        data.weeks[0].byField[Self.hostile] = 2
        data.weeks[1].start = Self.hostile
        data.languages.append(.init(label: Self.hostile, count: 3))
        data.flagged = [.init(reference: Self.hostile, received: Self.hostile, due: "'", field: Self.hostile, desk: Self.hostile, subject: "a\u{0}b\r\nc")]
        let page = HTMLReport.render(data)
        #expect(!page.contains("<script"))
        #expect(!page.contains("alert(1)</"))
        #expect(!page.contains(#"& "x""#))
        #expect(page.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;"))
        #expect(page.contains("<td class=\"nowrap\">&#39;</td>"))
        #expect(page.contains("a\u{FFFD}b  c"), "controls out, line breaks as spaces")
        #expect(!page.contains("\u{0}"))
        #expect(HTMLReport.escape(#"<a href='x'>&"#) == "&lt;a href=&#39;x&#39;&gt;&amp;")
    }

    @Test("the weekly table has a row per week, a column per field, and totals that are the week's sum")
    func weeklyTable() throws {
        var data = Self.sample()
        data.weeks[3].byField["not in fields"] = 5  // must get a column, or the totals would not add up
        let rows = try #require(Self.rows(HTMLReport.render(data), table: #"data-chart="weekly""#))
        #expect(rows.first == ["Week of"] + Self.fields + ["not in fields", "Total"])
        #expect(rows.count == data.weeks.count + 1)
        for (week, row) in zip(data.weeks, rows.dropFirst()) {
            #expect(row.first == week.start)
            #expect(row.last == String(week.byField.values.reduce(0, +)))
            #expect(row.dropFirst().dropLast().map { Int($0) ?? -1 } == (Self.fields + ["not in fields"]).map { week.byField[$0] ?? 0 })
        }
        let sum = rows.dropFirst().compactMap { $0.last.flatMap { Int($0) } }.reduce(0, +)
        #expect(sum == data.total + 5)
    }

    @Test("every count table holds the chart's labels and plain integers, in the order given")
    func countTables() throws {
        let data = Self.sample()
        let page = HTMLReport.render(data)
        let expected: [(String, [ReportData.Count])] = [
            ("sender-types", data.senderTypes), ("languages", data.languages), ("intents", data.intents),
            ("acknowledgements", data.acknowledgements), ("answer-times", data.answerTimes),
        ]
        for (key, counts) in expected {
            let rows = try #require(Self.rows(page, table: "data-chart=\"\(key)\""))
            #expect(rows.dropFirst().map { $0 } == counts.map { [$0.label, String($0.count)] }, "\(key)")
        }
        let overdue = try #require(Self.rows(page, table: #"data-list="overdue""#))
        #expect(overdue.first == ["Reference", "Received", "Due", "Field", "Desk", "Subject"])
        #expect(overdue.dropFirst().first == ["UMS-2026-0412", "2026-06-04", "2026-06-25", "economy", "Maja Kovač", "Interreg partner search"])
        #expect(overdue.count == 3)
        let flagged = try #require(Self.rows(page, table: #"data-list="flagged""#))
        #expect(flagged.dropFirst().map { $0 } == [["none"]])
        let dueSoon = try #require(Self.rows(page, table: #"data-list="due-soon""#))
        #expect(dueSoon.count == 2)
    }

    @Test("every chart is a figure with a caption, an SVG image named by its own title, a legend and a table")
    func charts() throws {
        let page = HTMLReport.render(Self.sample())
        let figures = page.components(separatedBy: "<figure id=\"").dropFirst()
        #expect(figures.map { String($0.prefix { $0 != "\"" }) } == ["weekly", "sender-types", "languages", "intents", "acknowledgements", "answer-times"])
        for figure in figures {
            let key = String(figure.prefix { $0 != "\"" })
            let body = try #require(figure.components(separatedBy: "</figure>").first)
            let svg = try #require(Self.between(body, "<svg ", "</svg>"))
            #expect(body.contains("<figcaption>"), "\(key)")
            #expect(svg.hasPrefix("role=\"img\" aria-labelledby=\"\(key)-title\""), "\(key)")
            #expect(svg.contains("<title id=\"\(key)-title\">"), "\(key)")
            #expect(body.contains("<ul class=\"legend\""), "\(key)")
            #expect(body.contains("<table data-chart=\"\(key)\""), "\(key)")
            #expect(body.contains("<caption>"), "\(key)")
        }
        // The fields' legend in the fields' order, each with its own colour.
        let legend = try #require(Self.between(page, "<ul class=\"legend\" aria-label=\"Fields\">", "</ul>"))
        let swatches = legend.components(separatedBy: "<span class=\"sw ").dropFirst().map { String($0.prefix { $0 != "\"" }) }
        #expect(Set(swatches).count == Self.fields.count)
        #expect(Self.text(legend) == Self.fields.joined())
    }

    @Test("the summary: counts, the median, and the share within 15 days that neither rounds a late answer away nor divides by zero")
    func summary() {
        let page = HTMLReport.render(Self.sample())
        #expect(page.contains(#"<dd data-summary="total">\#(Self.sample().total)</dd>"#))
        #expect(page.contains(#"<dd data-summary="median-days">4.5</dd>"#))
        #expect(page.contains(#"<dd data-summary="within-deadline">94%"#))
        #expect(page.contains(#"<dd data-summary="overdue">2</dd>"#))
        #expect(page.contains(#"<dd data-summary="due-soon">1</dd>"#))
        #expect(page.contains(#"<dd data-summary="flagged">0</dd>"#))
        #expect(HTMLReport.percent(639, of: 640) == "99%")
        #expect(HTMLReport.percent(1, of: 1000) == "1%")
        #expect(HTMLReport.percent(5, of: 5) == "100%")
        #expect(HTMLReport.percent(0, of: 0) == "—")
        #expect(HTMLReport.days(nil) == "—" && HTMLReport.days(.nan) == "—" && HTMLReport.days(3) == "3")
    }

    @Test("no data at all still makes a whole page: empty charts and tables say none, nothing divides by zero")
    func empty() throws {
        let page = HTMLReport.render(ReportData(office: "Urad", generatedAt: "2026-07-06T07:30:00+02:00"))
        #expect(page.hasSuffix("</html>\n"))
        #expect(page.contains("All inquiries"))
        #expect(page.contains(#"<dd data-summary="within-deadline">—</dd>"#))
        #expect(page.contains(#"<dd data-summary="median-days">—</dd>"#))
        for list in ["overdue", "due-soon", "flagged"] {
            let rows = try #require(Self.rows(page, table: "data-list=\"\(list)\""))
            #expect(rows.dropFirst().map { $0 } == [["none"]], "\(list)")
        }
        let weekly = try #require(Self.rows(page, table: #"data-chart="weekly""#))
        #expect(weekly == [["Week of", "Total"], ["none"]])
        #expect(page.components(separatedBy: "<svg role=\"img\"").count == 7)
        for bad in ["\"nan", "\"inf", "\"-inf", ">nan<", ">inf<"] { #expect(!page.contains(bad), "\(bad)") }
    }

    @Test("500 weeks and counts near Int.max: no trap, few week labels, totals that stop at Int.max")
    func large() throws {
        let weeks = (0..<500).map { ReportData.Week(start: Self.monday(2016, 1, 4, plusWeeks: $0), byField: ["economy": Int.max / 2, "culture": Int.max / 2, "sport": 3]) }
        let data = ReportData(office: "Urad", generatedAt: "2026-07-06T07:30:00+02:00", total: Int.max, fields: ["economy", "culture", "sport"], weeks: weeks,
                              languages: [.init(label: "sl", count: Int.max), .init(label: "en", count: -1)], answered: Int.max, answeredWithinDeadline: Int.max - 1)
        let page = HTMLReport.render(data)
        let svg = try #require(Self.between(page, "<svg role=\"img\" aria-labelledby=\"weekly-title\"", "</svg>"))
        let labels = svg.components(separatedBy: "<text ").dropFirst().filter { $0.drop { $0 != ">" }.dropFirst().hasPrefix("20") }.count
        #expect(labels >= 5 && labels <= 12, "\(labels) week labels")
        let rows = try #require(Self.rows(page, table: #"data-chart="weekly""#))
        #expect(rows.count == 501)
        #expect(rows[1].last == String(Int.max))
        #expect(page.contains(#"<dd data-summary="within-deadline">99%"#))
        #expect(HTMLReport.sum([Int.max, 1]) == Int.max && HTMLReport.sum([Int.min, -1]) == Int.min)
    }

    @Test("axes go up in steps of 1, 2, 2.5 or 5 times a power of ten, whole numbers only")
    func axis() {
        #expect(HTMLReport.Axis(maximum: 97).ticks == [0, 20, 40, 60, 80, 100])
        #expect(HTMLReport.Axis(maximum: 689).top == 800)
        #expect(HTMLReport.Axis(maximum: 110).ticks == [0, 25, 50, 75, 100, 125])
        #expect(HTMLReport.Axis(maximum: 3).ticks == [0, 1, 2, 3])
        #expect(HTMLReport.Axis(maximum: 0).ticks == [0, 1])
        #expect(HTMLReport.Axis(maximum: 12).ticks == [0, 5, 10, 15])
        let huge = HTMLReport.Axis(maximum: Double(Int.max))
        #expect(huge.top.isFinite && huge.top >= Double(Int.max) && huge.ticks.count <= 7)
    }

    /// `2026-01-05` and the Mondays after it, as the store writes them.
    static func monday(_ year: Int, _ month: Int, _ day: Int, plusWeeks weeks: Int) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let start = calendar.date(from: DateComponents(year: year, month: month, day: day))!
        let date = calendar.date(byAdding: .day, value: weeks * 7, to: start)!
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
    }

    // MARK: Reading the page back

    static func between(_ text: String, _ start: String, _ end: String) -> String? {
        guard let open = text.range(of: start), let close = text.range(of: end, range: open.upperBound..<text.endIndex) else { return nil }
        return String(text[open.upperBound..<close.lowerBound])
    }

    /// The cells' text of the table whose start tag has `attribute`, a row each, head included.
    static func rows(_ page: String, table attribute: String) -> [[String]]? {
        guard let start = page.range(of: "<table \(attribute)") ?? page.range(of: "<table class=\"list\" \(attribute)"),
              let end = page.range(of: "</table>", range: start.upperBound..<page.endIndex) else { return nil }
        let table = page[start.upperBound..<end.lowerBound]
        return table.components(separatedBy: "<tr>").dropFirst().map { row in
            row.replacingOccurrences(of: "</th>", with: "</td>").components(separatedBy: "</td>").dropLast().map { text($0) }
        }
    }

    /// Text without tags, entities read.
    static func text(_ html: String) -> String {
        var out = "", inTag = false
        for character in html {
            if character == "<" { inTag = true } else if character == ">" { inTag = false } else if !inTag { out.append(character) }
        }
        return out.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'").replacingOccurrences(of: "&amp;", with: "&")
    }
}
