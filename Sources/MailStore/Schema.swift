/// The schema of the mailintake database, as migrations.
enum Schema {
    static let migrator = Migrator([
        .init(name: "2026-11-28-initial", sql: """
            CREATE TABLE inquiries (
                id               INTEGER PRIMARY KEY,
                reference        TEXT NOT NULL UNIQUE,
                received_at      TEXT NOT NULL,
                from_address     TEXT,
                from_name        TEXT,
                reply_to         TEXT,
                subject          TEXT NOT NULL,
                language         TEXT NOT NULL,
                field            TEXT NOT NULL,
                secondary_fields TEXT NOT NULL DEFAULT '[]',
                sender_type      TEXT NOT NULL,
                legal_kind       TEXT,
                intent           TEXT NOT NULL,
                confidence       REAL NOT NULL,
                evidence         TEXT NOT NULL DEFAULT '[]',
                needs_review     INTEGER NOT NULL DEFAULT 0,
                ack_reason       TEXT,
                created_at       TEXT NOT NULL
            );

            CREATE TABLE messages (
                id           INTEGER PRIMARY KEY,
                mailbox      TEXT NOT NULL,
                uidvalidity  INTEGER NOT NULL,
                uid          INTEGER NOT NULL,
                message_id   TEXT,
                sha256       TEXT NOT NULL,
                size         INTEGER NOT NULL,
                raw          BLOB,
                disposition  TEXT NOT NULL CHECK (disposition IN ('inquiry', 'follow_up', 'duplicate')),
                inquiry_id   INTEGER REFERENCES inquiries(id),
                duplicate_of INTEGER REFERENCES messages(id),
                problems     TEXT NOT NULL DEFAULT '[]',
                server_marked INTEGER NOT NULL DEFAULT 0,
                filed_at     TEXT NOT NULL,
                UNIQUE (mailbox, uidvalidity, uid),
                CHECK ((disposition = 'duplicate') = (duplicate_of IS NOT NULL)),
                CHECK (disposition = 'duplicate' OR (inquiry_id IS NOT NULL AND raw IS NOT NULL))
            );
            CREATE INDEX messages_by_message_id ON messages (message_id);
            CREATE INDEX messages_by_sha256 ON messages (sha256);
            CREATE INDEX messages_by_inquiry ON messages (inquiry_id);
            CREATE INDEX messages_unmarked ON messages (mailbox, uidvalidity) WHERE server_marked = 0;

            CREATE TABLE reference_counters (
                prefix TEXT NOT NULL,
                year   INTEGER NOT NULL,
                last   INTEGER NOT NULL,
                PRIMARY KEY (prefix, year)
            );

            CREATE TABLE outbox (
                id              INTEGER PRIMARY KEY,
                inquiry_id      INTEGER NOT NULL REFERENCES inquiries(id),
                kind            TEXT NOT NULL CHECK (kind IN ('acknowledgement')),
                recipient       TEXT NOT NULL,
                message_id      TEXT NOT NULL UNIQUE,
                content         BLOB NOT NULL,
                status          TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
                attempts        INTEGER NOT NULL DEFAULT 0,
                next_attempt_at TEXT NOT NULL,
                last_error      TEXT,
                server_reply    TEXT,
                created_at      TEXT NOT NULL,
                sent_at         TEXT
            );
            CREATE INDEX outbox_due ON outbox (status, next_attempt_at);

            CREATE TABLE mailbox_cursors (
                mailbox     TEXT PRIMARY KEY,
                uidvalidity INTEGER NOT NULL,
                last_uid    INTEGER NOT NULL,
                updated_at  TEXT NOT NULL
            );
            """),
        .init(name: "2026-11-28-attachments", sql: """
            CREATE TABLE attachments (
                id           INTEGER PRIMARY KEY,
                message_id   INTEGER NOT NULL REFERENCES messages(id),
                position     INTEGER NOT NULL,
                filename     TEXT NOT NULL,
                content_type TEXT NOT NULL,
                size         INTEGER NOT NULL,
                sha256       TEXT NOT NULL,
                UNIQUE (message_id, position)
            );
            CREATE INDEX attachments_by_sha256 ON attachments (sha256);
            """),
        // Staff corrections of the classifier's labels: the inquiry carries the labels in force,
        // `original_labels` what the classifier said, and each correction is kept with its time.
        .init(name: "2026-11-28-corrections", sql: """
            ALTER TABLE inquiries ADD COLUMN original_labels TEXT;
            ALTER TABLE inquiries ADD COLUMN corrected_at TEXT;
            CREATE TABLE corrections (
                id           INTEGER PRIMARY KEY,
                inquiry_id   INTEGER NOT NULL REFERENCES inquiries(id),
                corrected_at TEXT NOT NULL,
                corrected_by TEXT,
                note         TEXT,
                before       TEXT NOT NULL,
                after        TEXT NOT NULL
            );
            CREATE INDEX corrections_by_inquiry ON corrections (inquiry_id);
            """),
        // Staff notifications go through the outbox too, and acknowledgements over a rate limit
        // wait there as 'held'. SQLite cannot change a CHECK, so the table is rebuilt.
        .init(name: "2026-11-28-outbox-notifications", sql: """
            CREATE TABLE outbox_new (
                id              INTEGER PRIMARY KEY,
                inquiry_id      INTEGER NOT NULL REFERENCES inquiries(id),
                kind            TEXT NOT NULL CHECK (kind IN ('acknowledgement', 'notification')),
                recipient       TEXT NOT NULL,
                message_id      TEXT NOT NULL UNIQUE,
                content         BLOB NOT NULL,
                status          TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'held')),
                attempts        INTEGER NOT NULL DEFAULT 0,
                next_attempt_at TEXT NOT NULL,
                last_error      TEXT,
                server_reply    TEXT,
                created_at      TEXT NOT NULL,
                sent_at         TEXT
            );
            INSERT INTO outbox_new SELECT id, inquiry_id, kind, recipient, message_id, content, status, attempts,
                next_attempt_at, last_error, server_reply, created_at, sent_at FROM outbox;
            DROP TABLE outbox;
            ALTER TABLE outbox_new RENAME TO outbox;
            CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
            CREATE INDEX outbox_by_recipient ON outbox (kind, recipient, created_at);
            CREATE INDEX outbox_by_inquiry ON outbox (inquiry_id);
            ALTER TABLE inquiries ADD COLUMN routed_to TEXT;
            """),
        // What the service last did, for `mailintake status` and the metrics file.
        .init(name: "2026-11-28-service-state", sql: """
            CREATE TABLE service_state (
                key        TEXT PRIMARY KEY,
                value      TEXT NOT NULL,
                updated_at TEXT NOT NULL
            );
            """),
        // The rate limits count acknowledgements per recipient (case-insensitively) and per hour
        // on every new inquiry: indexes that answer those counts without a scan of the outbox.
        .init(name: "2026-11-28-outbox-rate-indexes", sql: """
            DROP INDEX outbox_by_recipient;
            CREATE INDEX outbox_by_recipient ON outbox (kind, recipient COLLATE NOCASE, created_at);
            CREATE INDEX outbox_by_kind_time ON outbox (kind, created_at);
            """),
        // 'unconfirmed': handed to the SMTP server whole, and then no answer (or a crash while
        // sending): it may have been delivered, so it waits for a person instead of a retry.
        // Nothing references the outbox, so the rebuild cannot break a foreign key.
        .init(name: "2026-12-01-outbox-unconfirmed", sql: """
            CREATE TABLE outbox_new (
                id              INTEGER PRIMARY KEY,
                inquiry_id      INTEGER NOT NULL REFERENCES inquiries(id),
                kind            TEXT NOT NULL CHECK (kind IN ('acknowledgement', 'notification')),
                recipient       TEXT NOT NULL,
                message_id      TEXT NOT NULL UNIQUE,
                content         BLOB NOT NULL,
                status          TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'held', 'unconfirmed')),
                attempts        INTEGER NOT NULL DEFAULT 0,
                next_attempt_at TEXT NOT NULL,
                last_error      TEXT,
                server_reply    TEXT,
                created_at      TEXT NOT NULL,
                sent_at         TEXT
            );
            INSERT INTO outbox_new SELECT id, inquiry_id, kind, recipient, message_id, content, status, attempts,
                next_attempt_at, last_error, server_reply, created_at, sent_at FROM outbox;
            DROP TABLE outbox;
            ALTER TABLE outbox_new RENAME TO outbox;
            CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
            CREATE INDEX outbox_by_inquiry ON outbox (inquiry_id);
            CREATE INDEX outbox_by_recipient ON outbox (kind, recipient COLLATE NOCASE, created_at);
            CREATE INDEX outbox_by_kind_time ON outbox (kind, created_at);
            """),
        // Reports on our own mail are not inquiries: bounces, delay notices, auto-replies and read
        // receipts are filed under the inquiry they report on (or, unmatched, as system messages
        // with no inquiry), mail can be 'bounced', and every report is kept in delivery_reports.
        // Acknowledgements an older version held over the hourly cap are released: that cap now
        // only delays. The messages' rebuild keeps their ids (attachments point at them).
        .init(name: "2026-12-01-delivery-reports", sql: """
            CREATE TABLE messages_new (
                id           INTEGER PRIMARY KEY,
                mailbox      TEXT NOT NULL,
                uidvalidity  INTEGER NOT NULL,
                uid          INTEGER NOT NULL,
                message_id   TEXT,
                sha256       TEXT NOT NULL,
                size         INTEGER NOT NULL,
                raw          BLOB,
                disposition  TEXT NOT NULL CHECK (disposition IN ('inquiry', 'follow_up', 'duplicate', 'bounce', 'delay', 'auto_reply', 'read_receipt', 'system')),
                inquiry_id   INTEGER REFERENCES inquiries(id),
                duplicate_of INTEGER REFERENCES messages(id),
                problems     TEXT NOT NULL DEFAULT '[]',
                server_marked INTEGER NOT NULL DEFAULT 0,
                filed_at     TEXT NOT NULL,
                UNIQUE (mailbox, uidvalidity, uid),
                CHECK ((disposition = 'duplicate') = (duplicate_of IS NOT NULL)),
                CHECK (disposition = 'duplicate' OR raw IS NOT NULL),
                CHECK (disposition IN ('duplicate', 'system') OR inquiry_id IS NOT NULL)
            );
            INSERT INTO messages_new SELECT id, mailbox, uidvalidity, uid, message_id, sha256, size, raw, disposition, inquiry_id,
                duplicate_of, problems, server_marked, filed_at FROM messages;
            DROP TABLE messages;
            ALTER TABLE messages_new RENAME TO messages;
            CREATE INDEX messages_by_message_id ON messages (message_id);
            CREATE INDEX messages_by_sha256 ON messages (sha256);
            CREATE INDEX messages_by_inquiry ON messages (inquiry_id);
            CREATE INDEX messages_unmarked ON messages (mailbox, uidvalidity) WHERE server_marked = 0;

            CREATE TABLE outbox_new (
                id              INTEGER PRIMARY KEY,
                inquiry_id      INTEGER NOT NULL REFERENCES inquiries(id),
                kind            TEXT NOT NULL CHECK (kind IN ('acknowledgement', 'notification')),
                recipient       TEXT NOT NULL,
                message_id      TEXT NOT NULL UNIQUE,
                content         BLOB NOT NULL,
                status          TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'held', 'unconfirmed', 'bounced')),
                attempts        INTEGER NOT NULL DEFAULT 0,
                next_attempt_at TEXT NOT NULL,
                last_error      TEXT,
                server_reply    TEXT,
                created_at      TEXT NOT NULL,
                sent_at         TEXT
            );
            INSERT INTO outbox_new SELECT id, inquiry_id, kind, recipient, message_id, content, status, attempts,
                next_attempt_at, last_error, server_reply, created_at, sent_at FROM outbox;
            DROP TABLE outbox;
            ALTER TABLE outbox_new RENAME TO outbox;
            CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
            CREATE INDEX outbox_by_inquiry ON outbox (inquiry_id);
            CREATE INDEX outbox_by_recipient ON outbox (kind, recipient COLLATE NOCASE, created_at);
            CREATE INDEX outbox_by_kind_time ON outbox (kind, created_at);
            UPDATE outbox SET status = 'pending', last_error = 'released: the hourly cap now delays instead of holding; before: ' || last_error
                WHERE status = 'held' AND last_error LIKE '%max_per_hour%';

            CREATE TABLE delivery_reports (
                id          INTEGER PRIMARY KEY,
                message_id  INTEGER NOT NULL REFERENCES messages(id),
                outbox_id   INTEGER REFERENCES outbox(id),
                kind        TEXT NOT NULL CHECK (kind IN ('bounce', 'delay', 'auto_reply', 'read_receipt')),
                status      TEXT,
                diagnostic  TEXT,
                recipient   TEXT,
                reported_at TEXT NOT NULL
            );
            CREATE INDEX delivery_reports_by_outbox ON delivery_reports (outbox_id);
            """),
        // Search: FTS5 over subject, sender, organisation, the new text of every message and the
        // attachment names, as folded by `SearchText` (which SQL cannot do: the backfill is Swift's).
        .init(name: "2026-12-01-search", sql: """
            CREATE VIRTUAL TABLE inquiry_search USING fts5(subject, sender, organisation, body, attachments, tokenize = 'unicode61 remove_diacritics 2');
            """, after: { try MailRepository.backfillSearch($0) }),
        // An inquiry's life: open → answered → closed, with the day its answer is due (Article 17:
        // 15 days) and every change kept in inquiry_events with who made it. The office's replies
        // copied to the mailbox are 'answer' messages; the daily digest to a desk is outbox mail
        // of no one inquiry (its Message-ID names the desk and the day, so it is made once).
        // The due days of inquiries filed before are the Swift half's: they need the holiday calendar.
        .init(name: "2026-12-01-lifecycle", sql: """
            ALTER TABLE inquiries ADD COLUMN status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'answered', 'closed'));
            ALTER TABLE inquiries ADD COLUMN due_on TEXT;
            ALTER TABLE inquiries ADD COLUMN interim_until TEXT;
            ALTER TABLE inquiries ADD COLUMN answered_at TEXT;
            ALTER TABLE inquiries ADD COLUMN answered_by TEXT;
            ALTER TABLE inquiries ADD COLUMN answered_via TEXT;
            ALTER TABLE inquiries ADD COLUMN closed_at TEXT;
            CREATE INDEX inquiries_open_by_due ON inquiries (due_on) WHERE status = 'open';

            CREATE TABLE inquiry_events (
                id         INTEGER PRIMARY KEY,
                inquiry_id INTEGER NOT NULL REFERENCES inquiries(id),
                at         TEXT NOT NULL,
                action     TEXT NOT NULL,
                status     TEXT NOT NULL,
                by         TEXT,
                note       TEXT
            );
            CREATE INDEX inquiry_events_by_inquiry ON inquiry_events (inquiry_id);

            CREATE TABLE messages_new (
                id           INTEGER PRIMARY KEY,
                mailbox      TEXT NOT NULL,
                uidvalidity  INTEGER NOT NULL,
                uid          INTEGER NOT NULL,
                message_id   TEXT,
                sha256       TEXT NOT NULL,
                size         INTEGER NOT NULL,
                raw          BLOB,
                disposition  TEXT NOT NULL CHECK (disposition IN ('inquiry', 'follow_up', 'answer', 'duplicate', 'bounce', 'delay', 'auto_reply', 'read_receipt', 'system')),
                inquiry_id   INTEGER REFERENCES inquiries(id),
                duplicate_of INTEGER REFERENCES messages(id),
                problems     TEXT NOT NULL DEFAULT '[]',
                server_marked INTEGER NOT NULL DEFAULT 0,
                filed_at     TEXT NOT NULL,
                UNIQUE (mailbox, uidvalidity, uid),
                CHECK ((disposition = 'duplicate') = (duplicate_of IS NOT NULL)),
                CHECK (disposition = 'duplicate' OR raw IS NOT NULL),
                CHECK (disposition IN ('duplicate', 'system') OR inquiry_id IS NOT NULL)
            );
            INSERT INTO messages_new SELECT id, mailbox, uidvalidity, uid, message_id, sha256, size, raw, disposition, inquiry_id,
                duplicate_of, problems, server_marked, filed_at FROM messages;
            DROP TABLE messages;
            ALTER TABLE messages_new RENAME TO messages;
            CREATE INDEX messages_by_message_id ON messages (message_id);
            CREATE INDEX messages_by_sha256 ON messages (sha256);
            CREATE INDEX messages_by_inquiry ON messages (inquiry_id);
            CREATE INDEX messages_unmarked ON messages (mailbox, uidvalidity) WHERE server_marked = 0;

            CREATE TABLE outbox_new (
                id              INTEGER PRIMARY KEY,
                inquiry_id      INTEGER REFERENCES inquiries(id),
                kind            TEXT NOT NULL CHECK (kind IN ('acknowledgement', 'notification', 'digest')),
                recipient       TEXT NOT NULL,
                message_id      TEXT NOT NULL UNIQUE,
                content         BLOB NOT NULL,
                status          TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'held', 'unconfirmed', 'bounced')),
                attempts        INTEGER NOT NULL DEFAULT 0,
                next_attempt_at TEXT NOT NULL,
                last_error      TEXT,
                server_reply    TEXT,
                created_at      TEXT NOT NULL,
                sent_at         TEXT,
                CHECK ((kind = 'digest') = (inquiry_id IS NULL))
            );
            INSERT INTO outbox_new SELECT id, inquiry_id, kind, recipient, message_id, content, status, attempts,
                next_attempt_at, last_error, server_reply, created_at, sent_at FROM outbox;
            DROP TABLE outbox;
            ALTER TABLE outbox_new RENAME TO outbox;
            CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
            CREATE INDEX outbox_by_inquiry ON outbox (inquiry_id);
            CREATE INDEX outbox_by_recipient ON outbox (kind, recipient COLLATE NOCASE, created_at);
            CREATE INDEX outbox_by_kind_time ON outbox (kind, created_at);
            """, after: { try MailRepository.backfillDueDays($0) }),
        // Personal data as the law asks (GDPR Articles 15 and 17, the office's retention plan):
        // legal holds; inquiries anonymised (kept for the statistics) and messages whose raw mail
        // is erased; the audit trail of every purge, access export, erasure, hold and release,
        // which names references and keyed hashes, never an address; and the key of those hashes,
        // made once (the Swift half), so the same address always gives the same hash here.
        .init(name: "2026-12-02-data-protection", sql: """
            ALTER TABLE inquiries ADD COLUMN held_reason TEXT;
            ALTER TABLE inquiries ADD COLUMN held_at TEXT;
            ALTER TABLE inquiries ADD COLUMN held_by TEXT;
            ALTER TABLE inquiries ADD COLUMN anonymised_at TEXT;
            ALTER TABLE messages ADD COLUMN erased_at TEXT;
            CREATE TABLE audit_log (
                id       INTEGER PRIMARY KEY,
                at       TEXT NOT NULL,
                action   TEXT NOT NULL CHECK (action IN ('purge', 'subject_access', 'erase', 'hold', 'release', 'replay')),
                by       TEXT,
                reason   TEXT,
                subjects TEXT NOT NULL DEFAULT '[]',
                refs     TEXT NOT NULL DEFAULT '[]',
                counts   TEXT NOT NULL DEFAULT '{}',
                erasure  TEXT
            );
            CREATE INDEX audit_log_by_erasure ON audit_log (erasure) WHERE erasure IS NOT NULL;
            CREATE TABLE audit_key (
                id  INTEGER PRIMARY KEY CHECK (id = 1),
                key BLOB NOT NULL
            );
            """, after: { try MailRepository.makeAuditKey($0) }),
        // Anonymising and deleting look up the duplicates recorded of an inquiry's messages.
        .init(name: "2026-12-02-duplicates-index", sql: """
            CREATE INDEX messages_by_duplicate_of ON messages (duplicate_of) WHERE duplicate_of IS NOT NULL;
            """),
        // The raw mail in a table of its own. In `messages` it stood before the small columns, and
        // SQLite reads a row's columns in order, through the blob's overflow pages: every
        // `UPDATE messages SET server_marked = 1` read the whole mail back and wrote the row again,
        // and a count by disposition (the metrics file, after every cycle) read every mail in the
        // database. An ingest of 70 MB read 260 MB back (docs/PERFORMANCE.md). A message's content
        // goes with it (ON DELETE CASCADE); a duplicate has none.
        .init(name: "2026-12-03-message-contents", sql: """
            CREATE TABLE message_contents (
                message_id INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
                raw        BLOB NOT NULL
            );
            INSERT INTO message_contents (message_id, raw) SELECT id, raw FROM messages WHERE raw IS NOT NULL;

            CREATE TABLE messages_new (
                id           INTEGER PRIMARY KEY,
                mailbox      TEXT NOT NULL,
                uidvalidity  INTEGER NOT NULL,
                uid          INTEGER NOT NULL,
                message_id   TEXT,
                sha256       TEXT NOT NULL,
                size         INTEGER NOT NULL,
                disposition  TEXT NOT NULL CHECK (disposition IN ('inquiry', 'follow_up', 'answer', 'duplicate', 'bounce', 'delay', 'auto_reply', 'read_receipt', 'system')),
                inquiry_id   INTEGER REFERENCES inquiries(id),
                duplicate_of INTEGER REFERENCES messages(id),
                problems     TEXT NOT NULL DEFAULT '[]',
                server_marked INTEGER NOT NULL DEFAULT 0,
                filed_at     TEXT NOT NULL,
                erased_at    TEXT,
                UNIQUE (mailbox, uidvalidity, uid),
                CHECK ((disposition = 'duplicate') = (duplicate_of IS NOT NULL)),
                CHECK (disposition IN ('duplicate', 'system') OR inquiry_id IS NOT NULL)
            );
            INSERT INTO messages_new SELECT id, mailbox, uidvalidity, uid, message_id, sha256, size, disposition, inquiry_id,
                duplicate_of, problems, server_marked, filed_at, erased_at FROM messages;
            DROP TABLE messages;
            ALTER TABLE messages_new RENAME TO messages;
            CREATE INDEX messages_by_message_id ON messages (message_id);
            CREATE INDEX messages_by_sha256 ON messages (sha256);
            CREATE INDEX messages_by_inquiry ON messages (inquiry_id);
            CREATE INDEX messages_unmarked ON messages (mailbox, uidvalidity) WHERE server_marked = 0;
            CREATE INDEX messages_by_duplicate_of ON messages (duplicate_of) WHERE duplicate_of IS NOT NULL;
            """, after: { database in
                // The old table's pages are free now (and zeroed): a file with incremental vacuum gives them back.
                if try database.row("PRAGMA auto_vacuum")?["auto_vacuum"].int == 2 { try database.execute("PRAGMA incremental_vacuum") }
            }),
    ])
}
