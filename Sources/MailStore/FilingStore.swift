import FoundationEssentials
import MailIntakeCore

/// What filing needs of the store, and nothing more: the filer is a thin transaction over these
/// (`MailRepository` is the one implementation; the protocol says what the filing transaction may
/// touch, so a change to it shows here).
public protocol FilingStore: AnyObject {
    func transaction<T>(_ body: () throws -> T) throws -> T
    func isFiled(mailbox: String, uidValidity: UInt32, uid: UInt32) throws -> Bool
    func originalOf(sha256: String, messageID: String?, sameBody: ([UInt8]) -> Bool) throws -> Int64?
    func insertMessage(_ message: NewMessage) throws -> Int64
    func insertInquiry(_ inquiry: NewInquiry) throws -> Int64
    func insertAttachment(messageRowID: Int64, position: Int, filename: String, contentType: String, size: Int, sha256: String) throws
    func saveCursor(_ cursor: MailboxCursor) throws
    func nextReference(prefix: String, year: Int) throws -> String
    func inquiryID(reference: String) throws -> Int64?
    func routedTo(inquiryID: Int64) throws -> String?
    func acknowledgementCount(to recipient: String?, since: Date) throws -> Int
    func enqueue(_ kind: OutboxEntry.Kind, inquiryID: Int64, recipient: String, messageID: String, content: [UInt8],
                 heldBecause reason: String?, now: Date) throws
    func outboxEntry(messageID: String) throws -> OutboxEntry?
    func acknowledgement(ofInquiry inquiryID: Int64) throws -> OutboxEntry?
    func markBounced(id: Int64, status: String?, diagnostic: String?) throws
    func recordDeliveryReport(messageRowID: Int64, outboxID: Int64?, kind: String, status: String?, diagnostic: String?,
                              recipient: String?, now: Date) throws
    func firstMessageRaw(ofInquiry inquiryID: Int64) throws -> [UInt8]?
    func indexInquiry(id: Int64, _ document: SearchDocument) throws
    func indexFollowUp(inquiryID: Int64, _ document: SearchDocument) throws
    func reviveIfAnonymised(inquiryID: Int64, author: String?, name: String?) throws
    func inquiry(threadedBy keys: ThreadKeys) throws -> (id: Int64, reference: String)?
    @discardableResult
    func recordAnswer(_ reply: OfficeReply, inquiryID id: Int64, via: String, received: Date) throws -> Bool?
    @discardableResult
    func apply(_ action: InquiryStatus.Action, inquiryID id: Int64, at: Date, by person: String?, note: String?, via: String?,
               interimUntil: HolidayCalendar.Day?, deadlines: DeadlineSettings, holidays: HolidayCalendar, strict: Bool) throws -> MailRepository.LifecycleChange?
}

extension MailRepository: FilingStore {}
