import Foundation
import Testing
@testable import MailIntakeCore

@Suite("Slovenia's work-free days and working-day arithmetic")
struct HolidayCalendarTests {
    typealias Day = HolidayCalendar.Day

    @Test("Easter, Easter Monday and Whit Sunday for 2026–2028 (Easter Monday 2027 is 29 March)")
    func movable() {
        #expect(HolidayCalendar.easter(2026) == Day(year: 2026, month: 4, day: 5))
        #expect(HolidayCalendar.easter(2027) == Day(year: 2027, month: 3, day: 28))
        #expect(HolidayCalendar.easter(2028) == Day(year: 2028, month: 4, day: 16))
        let calendar = HolidayCalendar()
        #expect(calendar.isHoliday(Day(year: 2027, month: 3, day: 29)), "Easter Monday 2027")
        #expect(calendar.isHoliday(Day(year: 2026, month: 4, day: 6)))
        #expect(calendar.isHoliday(Day(year: 2028, month: 4, day: 17)))
        #expect(calendar.isHoliday(Day(year: 2026, month: 5, day: 24)), "Whit Sunday 2026")
        #expect(calendar.isHoliday(Day(year: 2027, month: 5, day: 16)), "Whit Sunday 2027")
        #expect(calendar.isHoliday(Day(year: 2028, month: 6, day: 4)), "Whit Sunday 2028")
        #expect(!calendar.isHoliday(Day(year: 2027, month: 3, day: 30)))
    }

    @Test("the fixed days, and one-off days from the configuration")
    func fixed() {
        let calendar = HolidayCalendar(extraDays: [Day(year: 2023, month: 8, day: 14)])
        #expect(calendar.holidays(in: 2026).count == 15)
        for (month, day) in [(1, 1), (1, 2), (2, 8), (4, 27), (5, 1), (5, 2), (6, 25), (8, 15), (10, 31), (11, 1), (12, 25), (12, 26)] {
            #expect(calendar.isHoliday(Day(year: 2027, month: month, day: day)))
        }
        #expect(calendar.isHoliday(Day(year: 2023, month: 8, day: 14)))
        #expect(!calendar.isHoliday(Day(year: 2024, month: 8, day: 14)))
        #expect(Day(iso: "2023-08-14") == Day(year: 2023, month: 8, day: 14))
        #expect(Day(iso: "14.8.2023") == nil)
    }

    @Test("working days skip weekends and work-free days: the promise over Christmas and over Easter")
    func arithmetic() throws {
        let calendar = HolidayCalendar()
        // Wednesday 23 December 2026, noon UTC: the 24th, then (25th, 26th and the weekend off) Monday the 28th.
        let wednesday = Date(timeIntervalSince1970: 1_798_027_200)
        #expect(MailDate.dayMonthYear(wednesday) == "23.12.2026")
        #expect(MailDate.dayMonthYear(calendar.addingWorkingDays(2, to: wednesday)) == "28.12.2026")
        // Friday 26 March 2027: Monday 29 is Easter Monday, so one working day later is Tuesday 30.
        let friday = Date(timeIntervalSince1970: 1_806_066_000)
        #expect(MailDate.dayMonthYear(friday) == "26.03.2027")
        #expect(MailDate.dayMonthYear(calendar.addingWorkingDays(1, to: friday)) == "30.03.2027")
    }

    @Test("[deadlines] holidays is read, and a bad date names file, line and key")
    func configuration() throws {
        let good = try ConfigurationTests.makeFolder(ConfigurationTests.valid + "\n[deadlines]\nholidays = 2023-08-14, 2030-01-03\n")
        #expect(try Configuration.load(path: good).holidays.extraDays.count == 2)
        let bad = try ConfigurationTests.makeFolder(ConfigurationTests.valid + "\n[deadlines]\nholidays = 14.8.2023\n")
        do {
            _ = try Configuration.load(path: bad)
            Issue.record("a bad date was accepted")
        } catch {
            #expect(error.key == "deadlines.holidays")
        }
    }
}
