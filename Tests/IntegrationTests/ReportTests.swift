import Foundation
import Testing

/// `report --html` rendered by a real browser: Debian's headless Chromium draws the page
/// (the PNG is kept in .build/artifacts/report.png to look at), the page makes no network
/// request and logs nothing to the console, and its tables say what `export` says.
@Suite("The HTML report in headless Chromium", .enabled(if: MailStack.shouldRun))
struct ReportTests {
    static var chromium: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium") }

    /// The rows of the table `data-chart="NAME"` in the rendered DOM: label → count.
    static func table(_ dom: String, _ name: String) throws -> [String: Int] {
        let start = try #require(dom.range(of: "data-chart=\"\(name)\""), "no table \(name)")
        let end = try #require(dom.range(of: "</table>", range: start.upperBound..<dom.endIndex))
        let body = String(dom[start.upperBound..<end.lowerBound])
        var rows: [String: Int] = [:]
        let pattern = #"<tr><th scope="row"[^>]*>([^<]*)</th>(.*?)</tr>"#
        let regex = try NSRegularExpression(pattern: pattern, options: [.dotMatchesLineSeparators])
        for match in regex.matches(in: body, range: NSRange(body.startIndex..., in: body)) {
            let label = String(body[Range(match.range(at: 1), in: body)!])
            let cells = String(body[Range(match.range(at: 2), in: body)!])
            // The last cell: the count, or the week's total.
            let numbers = cells.components(separatedBy: "<td").compactMap { $0.split(separator: ">").dropFirst().first.flatMap { Int($0.prefix { $0.isNumber }) } }
            rows[label.replacingOccurrences(of: "&amp;", with: "&")] = numbers.last
        }
        return rows
    }

    @Test("report --html: Chromium renders it with no request and no console message; its numbers are export's")
    func rendered() throws {
        try #require(Self.chromium, "Debian's chromium is not installed: apt-get install chromium (.ci/run does)")
        let instance = try Instance()
        try instance.appendFixtures("01-sl-sport-club.eml", "03-sl-latin2-citizen.eml", "02-en-school-exchange.eml")
        try instance.append([MailStack.repositoryRoot + "/Tests/Fixtures/labelled/own_25.eml"], ageDays: 20)
        try instance.appendText(AcknowledgementDeliveryTests.mail(from: "Eve <eve@example.org>", subject: "<script>alert(1)</script> & \"x\"",
                                                                  body: "Guten Tag, wir möchten eine Städtepartnerschaft besprechen."), ageDays: 20)
        try instance.appendText(AcknowledgementDeliveryTests.mail(from: "noreply@example.org", subject: "Newsletter", body: "News."))
        #expect(try instance.mailintake("run", "--once").status == 0)
        let first = try #require(try instance.exported().first?["reference"] as? String)
        #expect(try instance.mailintake("answered", first).status == 0)
        let records = try instance.exported()

        let page = instance.folder + "/report.html"
        let written = try instance.mailintake("report", "--html", page)
        #expect(written.status == 0, "\(written.stderr)")
        let html = try String(contentsOfFile: page, encoding: .utf8)
        #expect(!html.contains("<script>alert"), "a subject is shown, never run")
        #expect(html.contains("Content-Security-Policy"))

        let artifacts = MailStack.repositoryRoot + "/.build/artifacts"
        try FileManager.default.createDirectory(atPath: artifacts, withIntermediateDirectories: true)
        let dom = instance.folder + "/report.dom.html"
        let rendered = try runCommand("/usr/bin/python3", [MailStack.repositoryRoot + "/scripts/lib/render_page.py", page,
                                                           "--png", artifacts + "/report.png", "--dom", dom])
        try #require(rendered.status == 0, "render_page.py: \(rendered.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(rendered.stdout.utf8)) as? [String: Any])
        #expect(summary["requests"] as? Int == 0, "the page asked the network for something: \(summary["request_lines"] ?? "")")
        #expect((summary["console"] as? [String])?.isEmpty == true, "console: \(summary["console"] ?? "")")
        #expect((summary["png_bytes"] as? Int ?? 0) > 20_000, "a page of charts, not a blank one")
        #expect(summary["width"] as? Int == 1280)

        // What the browser shows agrees with export.
        let shown = try String(contentsOfFile: dom, encoding: .utf8)
        let weekly = try Self.table(shown, "weekly")
        #expect(weekly.values.reduce(0, +) == records.count, "\(weekly)")
        func tally(_ key: String) -> [String: Int] {
            records.reduce(into: [:]) { counts, record in counts[record[key] as? String ?? "", default: 0] += 1 }
        }
        #expect(try Self.table(shown, "languages") == tally("language"))
        #expect(try Self.table(shown, "intents") == tally("intent"))
        let senders = records.reduce(into: [String: Int]()) { counts, record in
            let type = record["sender_type"] as? String ?? ""
            counts[type == "legal" ? "legal/\(record["legal_kind"] as? String ?? "other")" : type, default: 0] += 1
        }
        #expect(try Self.table(shown, "sender-types") == senders)
        let acknowledgements = try Self.table(shown, "acknowledgements")
        var fromExport = tally("ack_status")
        let suppressed = fromExport.removeValue(forKey: "suppressed") ?? 0
        #expect(acknowledgements.filter { !$0.key.hasPrefix("suppressed: ") } == fromExport)
        #expect(acknowledgements.filter { $0.key.hasPrefix("suppressed: ") }.values.reduce(0, +) == suppressed)
        #expect(suppressed >= 1, "the noreply sender was not acknowledged")
        let answerTimes = try Self.table(shown, "answer-times")
        #expect(answerTimes.values.reduce(0, +) == records.filter { $0["status"] as? String == "answered" }.count)
        // The two received 20 days ago and unanswered are overdue, and listed as such.
        let overdue = records.filter { $0["status"] as? String == "open" && ($0["due_on"] as? String ?? "9") < String(ISO8601DateFormatter().string(from: Date()).prefix(10)) }
        #expect(overdue.count == 2)
        for record in overdue { #expect(shown.contains(record["reference"] as? String ?? "?")) }
    }
}
