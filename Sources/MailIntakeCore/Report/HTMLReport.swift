import FoundationEssentials

/// What `mailintake report --html` shows: the period's counts, already gathered, so the page is
/// made from plain values and can be tested without a database. Dates are ISO text as stored;
/// the page writes them as they come.
public struct ReportData: Sendable, Equatable {
    /// One bar of a horizontal chart and one row of its table.
    public struct Count: Sendable, Equatable {
        public var label: String
        public var count: Int

        public init(label: String, count: Int) {
            self.label = label
            self.count = count
        }
    }

    /// One week's inquiries by field; `start` is the week's Monday, `2026-03-02`.
    public struct Week: Sendable, Equatable {
        public var start: String
        public var byField: [String: Int]

        public init(start: String, byField: [String: Int] = [:]) {
            self.start = start
            self.byField = byField
        }
    }

    /// One open inquiry in the lists at the end. `subject` is a stranger's text.
    public struct Item: Sendable, Equatable {
        public var reference: String
        public var received: String
        public var due: String
        public var field: String
        public var desk: String?
        public var subject: String

        public init(reference: String, received: String, due: String, field: String, desk: String? = nil, subject: String) {
            self.reference = reference
            self.received = received
            self.due = due
            self.field = field
            self.desk = desk
            self.subject = subject
        }
    }

    public var office: String
    /// Nil: from the first inquiry.
    public var since: String?
    /// Nil: up to now.
    public var until: String?
    /// ISO 8601.
    public var generatedAt: String
    public var total: Int
    /// The order of the stacks and of the legend; a field met only in `weeks` comes after these.
    public var fields: [String]
    /// Oldest first, every week present (zeros allowed).
    public var weeks: [Week]
    public var senderTypes: [Count]
    public var languages: [Count]
    public var intents: [Count]
    public var acknowledgements: [Count]
    public var answered: Int
    public var medianDaysToAnswer: Double?
    /// Of `answered`, how many within the legal 15 days.
    public var answeredWithinDeadline: Int
    /// Histogram buckets in their own order: `0–1 days` … `over 15`.
    public var answerTimes: [Count]
    public var overdue: [Item]
    public var dueSoon: [Item]
    public var flagged: [Item]

    public init(
        office: String, since: String? = nil, until: String? = nil, generatedAt: String, total: Int = 0,
        fields: [String] = [], weeks: [Week] = [], senderTypes: [Count] = [], languages: [Count] = [],
        intents: [Count] = [], acknowledgements: [Count] = [], answered: Int = 0, medianDaysToAnswer: Double? = nil,
        answeredWithinDeadline: Int = 0, answerTimes: [Count] = [], overdue: [Item] = [], dueSoon: [Item] = [],
        flagged: [Item] = []
    ) {
        self.office = office
        self.since = since
        self.until = until
        self.generatedAt = generatedAt
        self.total = total
        self.fields = fields
        self.weeks = weeks
        self.senderTypes = senderTypes
        self.languages = languages
        self.intents = intents
        self.acknowledgements = acknowledgements
        self.answered = answered
        self.medianDaysToAnswer = medianDaysToAnswer
        self.answeredWithinDeadline = answeredWithinDeadline
        self.answerTimes = answerTimes
        self.overdue = overdue
        self.dueSoon = dueSoon
        self.flagged = flagged
    }
}

/// The report as one HTML file that staff can mail, archive and print: inline CSS, inline SVG
/// charts, no script, and nothing it could fetch. A Content-Security-Policy that allows only the
/// page's own stylesheet (by its hash) keeps it so even if a stranger's subject slipped through
/// unescaped: no script would run and no image or font would load. That policy also blocks
/// `style` attributes, so the charts colour themselves with SVG presentation attributes and the
/// legend with classes. Every chart has its numbers in a table beside it, for screen readers,
/// for printing in black and white, and for tests.
public enum HTMLReport {
    public static func render(_ data: ReportData) -> String {
        var page = ""
        page.reserveCapacity(32_768 + data.weeks.count * 400 + (data.overdue.count + data.dueSoon.count + data.flagged.count) * 300)
        let period = periodText(since: data.since, until: data.until)
        page += """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="\(contentSecurityPolicy)">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(period)) · \(escape(data.office))</title>
            <style>\(stylesheet)</style>
            </head>
            <body>
            <header>
            <h1><span class="office">\(escape(data.office))</span> <span class="period">\(escape(period))</span></h1>
            <p class="generated">Generated \(escape(data.generatedAt)) by mailintake.</p>
            </header>

            """
        page += summary(data)
        let fields = Fields(data)
        page += "<section aria-labelledby=\"received-heading\">\n<h2 id=\"received-heading\">Inquiries received</h2>\n"
        page += weeklyFigure(data.weeks, fields: fields)
        page += barFigure(BarChart(key: "sender-types", title: "Inquiries by sender type", column: "Sender type", unit: "inquiries", colour: 0), data.senderTypes)
        page += barFigure(BarChart(key: "languages", title: "Inquiries by language", column: "Language", unit: "inquiries", colour: 2), data.languages)
        page += barFigure(BarChart(key: "intents", title: "Inquiries by intent", column: "Intent", unit: "inquiries", colour: 3), data.intents)
        page += "</section>\n<section aria-labelledby=\"handling-heading\">\n<h2 id=\"handling-heading\">Acknowledgements and answers</h2>\n"
        page += barFigure(BarChart(key: "acknowledgements", title: "Acknowledgements by outcome", column: "Outcome", unit: "acknowledgements", colour: 1), data.acknowledgements)
        page += barFigure(BarChart(key: "answer-times", title: "Time to answer", column: "Days to answer", unit: "answered inquiries", colour: 4), data.answerTimes)
        page += "</section>\n<section aria-labelledby=\"open-heading\">\n<h2 id=\"open-heading\">Open inquiries</h2>\n"
        page += itemTable(key: "overdue", title: "Overdue", data.overdue)
        page += itemTable(key: "due-soon", title: "Due in the next 3 days", data.dueSoon)
        page += itemTable(key: "flagged", title: "Flagged for review", data.flagged)
        page += """
            </section>
            <footer>
            <p>This file is complete in itself: it runs no script and loads nothing from the network.</p>
            </footer>
            </body>
            </html>

            """
        return page
    }

    // MARK: The page's frame

    /// The policy in the page's `<meta>`. `img-src data:` lets an image embedded in the file
    /// show, never a fetched one; the page has none now.
    static let contentSecurityPolicy = "default-src 'none'; style-src '\(styleSource)'; img-src data:; base-uri 'none'; form-action 'none'"

    /// `sha256-…` of the exact text between `<style>` and `</style>`.
    static let styleSource: String = {
        var hasher = SHA256()
        hasher.update(stylesheet.utf8)
        return "sha256-" + Data(hasher.finalize()).base64EncodedString()
    }()

    /// System fonts only, since a web font would be a request. Sizes are in rem so the print
    /// rules can scale the whole page to A4 at once.
    static let stylesheet: String = {
        let swatches = Palette.colours.enumerated().map { ".c\($0.offset){background:\($0.element)}" }.joined()
        return """

            :root{color:#1b1b1b;background:#fff;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Liberation Sans","DejaVu Sans",Arial,sans-serif;font-size:15px;line-height:1.45}
            body{margin:0 auto;max-width:1100px;padding:1.5rem 2rem 3rem}
            h1{font-size:1.6rem;line-height:1.25;margin:0 0 .3rem}
            h1 .period{display:block;font-size:1.1rem;font-weight:400;color:#404040}
            h2{font-size:1.25rem;margin:2.4rem 0 1rem;padding-bottom:.2rem;border-bottom:1px solid #c8c8c8}
            .generated{margin:0;color:#555;font-size:.85rem}
            .summary{display:grid;grid-template-columns:repeat(auto-fit,minmax(9.5rem,1fr));gap:.75rem;margin:1.4rem 0 0}
            .stat{border:1px solid #d0d0d0;border-radius:6px;padding:.6rem .8rem}
            .stat dt{font-size:.8rem;color:#404040}
            .stat dd{margin:.15rem 0 0;font-size:1.6rem;font-weight:600;font-variant-numeric:tabular-nums;overflow-wrap:anywhere}
            .stat dd .of{display:block;font-size:.75rem;font-weight:400;color:#555}
            .stat.alert{border-color:#a40000}
            .stat.alert dd{color:#a40000}
            figure{margin:0 0 2.2rem}
            figcaption{font-weight:600;font-size:1.05rem;margin-bottom:.5rem}
            .pair{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:1.5rem;align-items:start}
            svg{display:block;width:100%;height:auto}
            .legend{list-style:none;margin:.4rem 0 0;padding:0;display:flex;flex-wrap:wrap;gap:.25rem 1.1rem;font-size:.85rem}
            .sw{display:inline-block;width:.8rem;height:.8rem;margin-right:.35rem;vertical-align:-.1rem;border-radius:2px;-webkit-print-color-adjust:exact;print-color-adjust:exact;forced-color-adjust:none}
            \(swatches)
            .scroll{overflow-x:auto;margin-top:1.2rem}
            table{border-collapse:collapse;font-size:.85rem;font-variant-numeric:tabular-nums}
            caption{text-align:left;font-weight:600;padding-bottom:.3rem}
            th,td{border-bottom:1px solid #e0e0e0;padding:.2rem .55rem;text-align:left;vertical-align:top}
            thead th{border-bottom:2px solid #909090;vertical-align:bottom}
            .num{text-align:right}
            .nowrap{white-space:nowrap}
            table.list{width:100%;table-layout:fixed;margin-bottom:1.8rem}
            col.reference{width:10.5rem}col.day{width:6.5rem}col.field{width:10rem}col.desk{width:9rem}
            td.subject{overflow-wrap:anywhere}
            td.none{color:#555;font-style:italic}
            footer{margin-top:3rem;color:#555;font-size:.8rem}
            @media (max-width:760px){body{padding:1rem}.pair{grid-template-columns:1fr}}
            @page{size:A4;margin:14mm 12mm}
            @media print{
            :root{font-size:9.5pt}
            body{max-width:none;padding:0}
            h2,figcaption{break-after:avoid}
            .summary{grid-template-columns:repeat(4,1fr);gap:.4rem}
            .pair{grid-template-columns:1fr;gap:.3rem}
            .pair svg{max-width:150mm}
            .graphic,.pair{break-inside:avoid}
            .scroll{overflow:visible}
            th,td{padding:.12rem .3rem}
            /* Paper has no scroll bar. A weekly table too wide for A4 gets equal columns, whose
               headings then break inside a word where one would not fit. */
            table[data-chart=weekly]{width:100%;font-size:.75rem}
            table.wide{table-layout:fixed}
            table.wide th{overflow-wrap:anywhere}
            table.wide thead th:first-child{width:5.4rem}
            col.reference{width:8.5rem}col.day{width:5.6rem}col.field,col.desk{width:7rem}
            thead{display:table-header-group}
            tr{break-inside:avoid}
            }

            """
    }()

    static func periodText(since: String?, until: String?) -> String {
        switch (since, until) {
        case let (since?, until?): return "Inquiries \(since) – \(until)"
        case let (since?, nil): return "Inquiries since \(since)"
        case let (nil, until?): return "Inquiries up to \(until)"
        case (nil, nil): return "All inquiries"
        }
    }

    // MARK: Summary

    static func summary(_ data: ReportData) -> String {
        let deadlineShare = percent(data.answeredWithinDeadline, of: data.answered)
        let within = data.answered > 0 ? "<span class=\"of\">\(data.answeredWithinDeadline) of \(data.answered)</span>" : ""
        let stats: [(key: String, label: String, value: String, alert: Bool)] = [
            ("total", "Inquiries", "\(data.total)", false),
            ("answered", "Answered", "\(data.answered)", false),
            ("median-days", "Median days to answer", days(data.medianDaysToAnswer), false),
            ("within-deadline", "Answered within 15 days", deadlineShare + within, false),
            ("overdue", "Overdue now", "\(data.overdue.count)", !data.overdue.isEmpty),
            ("due-soon", "Due in the next 3 days", "\(data.dueSoon.count)", false),
            ("flagged", "Flagged for review", "\(data.flagged.count)", !data.flagged.isEmpty),
        ]
        var html = "<section aria-labelledby=\"summary-heading\">\n<h2 id=\"summary-heading\">Summary</h2>\n<dl class=\"summary\">\n"
        for stat in stats {
            html += "<div class=\"stat\(stat.alert ? " alert" : "")\"><dt>\(stat.label)</dt><dd data-summary=\"\(stat.key)\">\(stat.value)</dd></div>\n"
        }
        return html + "</dl>\n</section>\n"
    }

    /// A whole percentage, but never 100% while one answer was late, nor 0% while one was on time.
    static func percent(_ part: Int, of whole: Int) -> String {
        guard whole > 0 else { return "—" }
        let part = min(max(part, 0), whole)
        var shown = (Double(part) / Double(whole) * 100).rounded()
        if shown == 100 && part < whole { shown = 99 }
        if shown == 0 && part > 0 { shown = 1 }
        return "\(Int(shown))%"
    }

    static func days(_ value: Double?) -> String {
        guard let value, value.isFinite, value >= 0, value < 1e9 else { return "—" }
        return value == value.rounded() ? "\(Int(value))" : Formatting.decimal(value, digits: 1)
    }

    // MARK: Inquiries per week

    /// The weekly chart's columns: `fields` in their order without repeats, then any field that
    /// only the weeks name, so no count is left out of the stacks or the totals.
    struct Fields {
        let names: [String]

        init(_ data: ReportData) {
            var seen = Set<String>()
            var names = data.fields.filter { seen.insert($0).inserted }
            names += Set(data.weeks.flatMap { $0.byField.keys }).subtracting(seen).sorted()
            self.names = names
        }

        /// Whether the weekly table fits an A4 page in print with each column as wide as its
        /// longest word: about 100 characters of its small bold type are left beside the week and
        /// total columns, a column's padding costs 1.3 of them, and a tenth is kept in reserve.
        var fitA4: Bool {
            names.reduce(0.0) { $0 + Double(max(5, $1.split(separator: " ").map(\.count).max() ?? 0)) + 1.3 } <= 92
        }
    }

    static func weeklyFigure(_ weeks: [ReportData.Week], fields: Fields) -> String {
        let title = "Inquiries per week, by field"
        var html = "<figure id=\"weekly\">\n<figcaption>\(title)</figcaption>\n<div class=\"graphic\">\n"
        html += StackedBars(weeks: weeks, fields: fields.names).svg(key: "weekly", title: title)
        html += "<ul class=\"legend\" aria-label=\"Fields\">"
        for (index, name) in fields.names.enumerated() {
            html += "<li><span class=\"sw c\(Palette.index(index))\"></span>\(escape(name))</li>"
        }
        if fields.names.isEmpty { html += "<li>no fields</li>" }
        html += "</ul>\n</div>\n<div class=\"scroll\">\n<table data-chart=\"weekly\"\(fields.fitA4 ? "" : " class=\"wide\"")>\n<caption>\(title)</caption>\n<thead><tr><th scope=\"col\">Week of</th>"
        for name in fields.names { html += "<th scope=\"col\" class=\"num\">\(escape(name))</th>" }
        html += "<th scope=\"col\" class=\"num\">Total</th></tr></thead>\n<tbody>\n"
        for week in weeks {
            html += "<tr><th scope=\"row\" class=\"nowrap\">\(escape(week.start))</th>"
            for name in fields.names { html += "<td class=\"num\">\(week.byField[name] ?? 0)</td>" }
            html += "<td class=\"num\">\(sum(week.byField.values))</td></tr>\n"
        }
        if weeks.isEmpty { html += "<tr><td class=\"none\" colspan=\"\(fields.names.count + 2)\">none</td></tr>\n" }
        return html + "</tbody>\n</table>\n</div>\n</figure>\n"
    }

    /// Vertical bars, one per week, a segment per field from the bottom in the fields' order.
    struct StackedBars {
        let weeks: [ReportData.Week]
        let fields: [String]

        static let width = 860.0, height = 330.0
        static let right = 40.0, top = 14.0, bottom = 56.0
        /// Room for one `2026-03-02` at the chart's font size: fewer labels than weeks, so
        /// 500 weeks still read.
        static let labelWidth = 82.0

        func svg(key: String, title: String) -> String {
            let totals = weeks.map { week in fields.reduce(0.0) { $0 + Double(max(week.byField[$1] ?? 0, 0)) } }
            let axis = Axis(maximum: totals.max() ?? 0)
            // The tick labels' width decides the left margin, so long numbers keep clear of the axis title.
            let left = max(62, 34 + Double(axis.ticks.map { Axis.label($0).count }.max() ?? 1) * 7.8)
            let plotWidth = Self.width - left - Self.right, plotHeight = Self.height - Self.top - Self.bottom
            let baseline = Self.top + plotHeight
            let band = plotWidth / Double(max(weeks.count, 1))
            let barWidth = max(band * 0.78, 0.6)
            let first = weeks.first?.start ?? "", last = weeks.last?.start ?? ""
            let description = weeks.isEmpty ? "No weeks in this period." : "\(weeks.count) weeks from \(first) to \(last); the table below has the numbers."

            // A size larger than the bar charts': this one is wider and is drawn smaller on paper.
            var svg = Self.open(key: key, title: title, description: description, width: Self.width, height: Self.height, fontSize: 13)
            svg += "<g stroke=\"#e3e3e3\" stroke-width=\"1\">"
            for tick in axis.ticks.dropFirst() {
                let y = baseline - tick / axis.top * plotHeight
                svg += "<line x1=\"\(n(left))\" x2=\"\(n(left + plotWidth))\" y1=\"\(n(y))\" y2=\"\(n(y))\"/>"
            }
            svg += "</g>\n<g text-anchor=\"end\" fill=\"#333\">"
            for tick in axis.ticks {
                svg += "<text x=\"\(n(left - 6))\" y=\"\(n(baseline - tick / axis.top * plotHeight))\" dy=\"0.32em\">\(Axis.label(tick))</text>"
            }
            svg += "</g>\n<text transform=\"translate(15 \(n(Self.top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\" fill=\"#333\">inquiries</text>\n"

            // White seams between segments help only while the bars are wide enough to keep colour.
            svg += barWidth >= 6 ? "<g stroke=\"#fff\" stroke-width=\"0.75\">" : "<g>"
            for (index, week) in weeks.enumerated() {
                let x = left + Double(index) * band + (band - barWidth) / 2
                var stacked = 0.0
                for (fieldIndex, field) in fields.enumerated() {
                    let count = week.byField[field] ?? 0
                    guard count > 0 else { continue }
                    let y0 = baseline - stacked / axis.top * plotHeight
                    stacked += Double(count)
                    let y1 = baseline - stacked / axis.top * plotHeight
                    svg += "<rect x=\"\(n(x))\" y=\"\(n(y1))\" width=\"\(n(barWidth))\" height=\"\(n(max(y0 - y1, 0.3)))\" fill=\"\(Palette.colour(fieldIndex))\"><title>\(escape(week.start)) · \(escape(field)): \(count)</title></rect>"
                }
            }
            svg += "</g>\n"
            if totals.allSatisfy({ $0 == 0 }) {
                svg += "<text x=\"\(n(left + plotWidth / 2))\" y=\"\(n(Self.top + plotHeight / 2))\" text-anchor=\"middle\" fill=\"#555\">No inquiries in this period</text>\n"
            }

            let step = max(1, Int((Double(weeks.count) / max(1, (plotWidth / Self.labelWidth).rounded(.down))).rounded(.up)))
            svg += "<g text-anchor=\"middle\" fill=\"#333\">"
            for index in stride(from: 0, to: weeks.count, by: step) {
                let x = n(left + (Double(index) + 0.5) * band)
                svg += "<line x1=\"\(x)\" x2=\"\(x)\" y1=\"\(n(baseline))\" y2=\"\(n(baseline + 5))\" stroke=\"#666\"/><text x=\"\(x)\" y=\"\(n(baseline + 19))\">\(escape(weeks[index].start))</text>"
            }
            svg += "</g>\n"
            svg += "<line x1=\"\(n(left))\" x2=\"\(n(left + plotWidth))\" y1=\"\(n(baseline))\" y2=\"\(n(baseline))\" stroke=\"#666\"/>\n"
            svg += "<text x=\"\(n(left + plotWidth / 2))\" y=\"\(n(Self.height - 8))\" text-anchor=\"middle\" fill=\"#333\">week starting (Monday)</text>\n"
            return svg + "</svg>\n"
        }

        /// The `<svg>` start every chart shares: named by its `<title>` for screen readers, which
        /// then read the table instead of the shapes.
        static func open(key: String, title: String, description: String, width: Double, height: Double, fontSize: Int = 12) -> String {
            "<svg role=\"img\" aria-labelledby=\"\(key)-title\" aria-describedby=\"\(key)-desc\" viewBox=\"0 0 \(n(width)) \(n(height))\" width=\"\(n(width))\" height=\"\(n(height))\" font-size=\"\(fontSize)\">\n<title id=\"\(key)-title\">\(escape(title))</title>\n<desc id=\"\(key)-desc\">\(escape(description))</desc>\n"
        }
    }

    // MARK: Horizontal bars

    struct BarChart {
        let key: String
        let title: String
        /// The table's first column.
        let column: String
        /// What is counted: the axis label and the legend.
        let unit: String
        let colour: Int
    }

    static func barFigure(_ chart: BarChart, _ counts: [ReportData.Count]) -> String {
        var html = "<figure id=\"\(chart.key)\">\n<figcaption>\(chart.title)</figcaption>\n<div class=\"pair\">\n<div class=\"graphic\">\n"
        html += HorizontalBars(counts: counts, colour: Palette.colour(chart.colour)).svg(chart)
        html += "<ul class=\"legend\" aria-label=\"Legend\"><li><span class=\"sw c\(Palette.index(chart.colour))\"></span>number of \(chart.unit)</li></ul>\n</div>\n"
        html += "<table data-chart=\"\(chart.key)\">\n<caption>\(chart.title)</caption>\n<thead><tr><th scope=\"col\">\(chart.column)</th><th scope=\"col\" class=\"num\">Count</th></tr></thead>\n<tbody>\n"
        for count in counts {
            html += "<tr><th scope=\"row\">\(escape(count.label))</th><td class=\"num\">\(count.count)</td></tr>\n"
        }
        if counts.isEmpty { html += "<tr><td class=\"none\" colspan=\"2\">none</td></tr>\n" }
        return html + "</tbody>\n</table>\n</div>\n</figure>\n"
    }

    /// One bar per count in the order given (answer-time buckets have an order of their own),
    /// its value written at its end.
    struct HorizontalBars {
        let counts: [ReportData.Count]
        let colour: String

        static let width = 560.0, labelWidth = 170.0, row = 24.0, barHeight = 15.0, top = 6.0, axisHeight = 46.0
        /// Labels longer than this are cut in the chart; the table has them whole.
        static let labelLimit = 26

        func svg(_ chart: BarChart) -> String {
            let height = Self.top + Double(max(counts.count, 1)) * Self.row + Self.axisHeight
            // The widest value decides the room kept at the right, so even 19 digits stay inside.
            let digits = counts.map { String($0.count).count }.max() ?? 1
            let plotWidth = Self.width - Self.labelWidth - Double(digits) * 7.4 - 14
            let axis = Axis(maximum: Double(counts.map { max($0.count, 0) }.max() ?? 0))
            let baseline = Self.top + Double(max(counts.count, 1)) * Self.row
            let description = counts.isEmpty ? "Nothing to show." : "\(counts.count) bars; the table beside it has the numbers."

            var svg = StackedBars.open(key: chart.key, title: chart.title, description: description, width: Self.width, height: height)
            svg += "<g stroke=\"#e3e3e3\" stroke-width=\"1\">"
            for tick in axis.ticks.dropFirst() {
                let x = n(Self.labelWidth + tick / axis.top * plotWidth)
                svg += "<line x1=\"\(x)\" x2=\"\(x)\" y1=\"\(n(Self.top))\" y2=\"\(n(baseline))\"/>"
            }
            svg += "</g>\n"
            for (index, count) in counts.enumerated() {
                let y = Self.top + Double(index) * Self.row + (Self.row - Self.barHeight) / 2
                let length = Double(max(count.count, 0)) / axis.top * plotWidth
                let middle = n(y + Self.barHeight / 2)
                svg += "<text x=\"\(n(Self.labelWidth - 8))\" y=\"\(middle)\" dy=\"0.32em\" text-anchor=\"end\" fill=\"#1b1b1b\">\(escape(HTMLReport.truncated(count.label, to: Self.labelLimit)))<title>\(escape(count.label))</title></text>"
                if length > 0 {
                    svg += "<rect x=\"\(n(Self.labelWidth))\" y=\"\(n(y))\" width=\"\(n(max(length, 0.8)))\" height=\"\(n(Self.barHeight))\" fill=\"\(colour)\"/>"
                }
                svg += "<text x=\"\(n(Self.labelWidth + length + 5))\" y=\"\(middle)\" dy=\"0.32em\" fill=\"#1b1b1b\">\(count.count)</text>\n"
            }
            if counts.isEmpty {
                svg += "<text x=\"\(n(Self.labelWidth + plotWidth / 2))\" y=\"\(n(Self.top + Self.row / 2))\" dy=\"0.32em\" text-anchor=\"middle\" fill=\"#555\">none</text>\n"
            }
            svg += "<line x1=\"\(n(Self.labelWidth))\" x2=\"\(n(Self.labelWidth))\" y1=\"\(n(Self.top))\" y2=\"\(n(baseline))\" stroke=\"#666\"/>"
            svg += "<line x1=\"\(n(Self.labelWidth))\" x2=\"\(n(Self.labelWidth + plotWidth))\" y1=\"\(n(baseline))\" y2=\"\(n(baseline))\" stroke=\"#666\"/>\n<g text-anchor=\"middle\" fill=\"#333\">"
            for tick in axis.ticks {
                let x = n(Self.labelWidth + tick / axis.top * plotWidth)
                svg += "<line x1=\"\(x)\" x2=\"\(x)\" y1=\"\(n(baseline))\" y2=\"\(n(baseline + 4))\" stroke=\"#666\"/><text x=\"\(x)\" y=\"\(n(baseline + 17))\">\(Axis.label(tick))</text>"
            }
            svg += "</g>\n<text x=\"\(n(Self.labelWidth + plotWidth / 2))\" y=\"\(n(height - 6))\" text-anchor=\"middle\" fill=\"#333\">\(escape(chart.unit))</text>\n"
            return svg + "</svg>\n"
        }
    }

    /// A value axis from 0 with round steps (1, 2, 2.5 or 5 times a power of ten). In doubles, so
    /// counts near `Int.max` neither overflow nor trap.
    struct Axis {
        let top: Double
        let ticks: [Double]

        init(maximum: Double, ticks wanted: Double = 5) {
            guard maximum.isFinite, maximum > 0 else {
                top = 1
                ticks = [0, 1]
                return
            }
            let raw = maximum / wanted
            var step = 1.0
            if raw > 1 {
                // Powers of ten are exact in a double up to 10^22, so the steps are whole numbers;
                // 2.5 only from 25 up, for the same reason.
                let magnitude = pow(10, log10(raw).rounded(.down))
                let multiples: [Double] = magnitude >= 10 ? [1, 2, 2.5, 5, 10] : [1, 2, 5, 10]
                step = (multiples.first { $0 * magnitude >= raw } ?? 10) * magnitude
            }
            let steps = Int((maximum / step).rounded(.up))
            top = Double(steps) * step
            ticks = (0...steps).map { Double($0) * step }
        }

        static func label(_ value: Double) -> String {
            value < 1e15 ? String(Int(value)) : Formatting.decimal(value, digits: 0, exponent: true)
        }
    }

    // MARK: Lists of inquiries

    /// Subjects are cut here: the list is for recognising an inquiry, and a stranger's subject
    /// may be any length.
    static let subjectLimit = 200

    static func itemTable(key: String, title: String, _ items: [ReportData.Item]) -> String {
        // Fixed column widths, so the three lists line up one under another.
        var html = "<table class=\"list\" data-list=\"\(key)\">\n<caption>\(title) (\(items.count))</caption>\n"
        html += "<colgroup><col class=\"reference\"><col class=\"day\"><col class=\"day\"><col class=\"field\"><col class=\"desk\"><col></colgroup>\n<thead><tr>"
        for column in ["Reference", "Received", "Due", "Field", "Desk", "Subject"] { html += "<th scope=\"col\">\(column)</th>" }
        html += "</tr></thead>\n<tbody>\n"
        for item in items {
            html += "<tr><th scope=\"row\" class=\"nowrap\">\(escape(item.reference))</th><td class=\"nowrap\">\(escape(item.received))</td><td class=\"nowrap\">\(escape(item.due))</td><td>\(escape(item.field))</td>"
            html += "<td>\(escape(item.desk ?? "—"))</td><td class=\"subject\" dir=\"auto\">\(escape(truncated(item.subject, to: subjectLimit)))</td></tr>\n"
        }
        if items.isEmpty { html += "<tr><td class=\"none\" colspan=\"6\">none</td></tr>\n" }
        return html + "</tbody>\n</table>\n"
    }

    // MARK: Pieces

    /// Okabe and Ito's eight colours, which stay apart for the common colour blindnesses, and
    /// six of Paul Tol's after them; a fifteenth field repeats a colour (its table column still
    /// tells it apart). Pale yellow stands late, as it shows least on white paper.
    enum Palette {
        static let colours = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#F0E442",
                              "#882255", "#44AA99", "#999933", "#332288", "#AA4499", "#888888"]

        static func index(_ position: Int) -> Int { position % colours.count }
        static func colour(_ position: Int) -> String { colours[index(position)] }
    }

    /// Text for HTML content and attribute values alike. Newlines and tabs become spaces and
    /// other control characters U+FFFD, as HTML has no place for them.
    static func escape(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out.append(contentsOf: "&amp;".unicodeScalars)
            case "<": out.append(contentsOf: "&lt;".unicodeScalars)
            case ">": out.append(contentsOf: "&gt;".unicodeScalars)
            case "\"": out.append(contentsOf: "&quot;".unicodeScalars)
            case "'": out.append(contentsOf: "&#39;".unicodeScalars)
            case "\t", "\n", "\r": out.append(" ")
            default:
                switch scalar.value {
                case 0x00..<0x20, 0x7F...0x9F: out.append("\u{FFFD}")
                default: out.append(scalar)
                }
            }
        }
        return String(out)
    }

    static func truncated(_ text: String, to limit: Int) -> String {
        text.count > limit ? String(text.prefix(limit - 1)) + "…" : text
    }

    /// A count over `values` that stops at `Int.max` instead of trapping.
    static func sum<S: Sequence>(_ values: S) -> Int where S.Element == Int {
        values.reduce(0) { total, value in
            let (result, overflow) = total.addingReportingOverflow(value)
            return overflow ? (value > 0 ? Int.max : Int.min) : result
        }
    }

    /// A coordinate to one decimal: enough for a screen, and keeps 500 weeks' bars short.
    static func n(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }
}
