import Foundation
import Testing
@testable import MailIntakeDaemon

@Suite("The health file")
struct HealthFileTests {
    @Test("its JSON is read back exactly, whatever the error text holds, with keys in byte order")
    func roundTrip() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mi-health-\(UUID().uuidString)").path
        let file = HealthFile(databasePath: path)
        file.prepare()
        let values = ["last_error": "IMAP: \"refused\" \\ at C:\\path\n\tline two \u{01}\u{1F} Đorđević ✓", "b": "", "a": "1"]
        #expect(file.write(values))
        #expect(file.read() == values)
        #expect(String(decoding: HealthFile.encode(["b": "2", "a": "1", "B": "3"]), as: UTF8.self) == #"{"B":"3","a":"1","b":"2"}"#)
        let parsed = try JSONSerialization.jsonObject(with: Data(HealthFile.encode(values))) as? [String: String]
        #expect(parsed == values)
    }
}
