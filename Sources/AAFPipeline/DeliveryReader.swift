import AAFModel
import AAFParser
import Foundation

/// Reads a delivery's files on a dedicated thread while the caller applies the records: parsing and SQLite
/// each get one of the machine's two cores (ADR 0003).
///
/// The parser thread hands over batches of records through a bounded queue, so memory stays constant: at
/// most ``capacity`` batches of ``batchSize`` records are in flight. The files are read in the order given;
/// the consumer sees each file's records, then that file's end with its header and statistics. A parse
/// error ends the stream; a consumer that stops early (``cancel()``) makes the reader stop between chunks.
final class DeliveryReader: @unchecked Sendable {
    // @unchecked Sendable: every mutable field is guarded by `condition`; the parser objects live on the
    // reader thread only.

    enum Event {
        case records([AAFRecord])
        case endOfFile(DeliveryFileName, DocumentHeader, ParseStatistics)
        case failed(any Error)
    }

    static let batchSize = 256
    /// Three batches: eight kept 6 MB more in flight for no speed (issue 24).
    static let capacity = 3

    private let condition = NSCondition()
    private var queue: [Event] = []
    private var cancelled = false
    /// Whether the writer was behind when the last batch was queued (batches were still waiting): then this thread
    /// has time to spare and reads the next batch's links ahead (issue 24). Read and written on the reader thread.
    private var writerBehind = false

    /// Starts reading `files` (paths and names) on a new thread.
    init(
        files: [(path: String, name: DeliveryFileName)],
        filter: any AttributeFilter,
        chunkSize: Int,
        limits: ParserLimits
    ) {
        let thread = Thread { [self] in
            self.read(files: files, filter: filter, chunkSize: chunkSize, limits: limits)
        }
        thread.name = "aafd-parser"
        thread.stackSize = 1 << 20
        // Not kept: the thread holds the reader while it reads, and nothing holds the thread, so no cycle outlives
        // the import (LeakSanitizer found one when the reader kept its thread).
        thread.start()
    }

    deinit {
        cancel()
    }

    /// The next event; blocks until the reader produces one.
    func next() -> Event {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty { condition.wait() }
        let event = queue.removeFirst()
        condition.broadcast()
        return event
    }

    /// Asks the reader to stop; it does so at the next chunk.
    func cancel() {
        condition.lock()
        cancelled = true
        queue.removeAll()
        condition.broadcast()
        condition.unlock()
    }

    private var isCancelled: Bool {
        condition.lock()
        defer { condition.unlock() }
        return cancelled
    }

    /// Queues an event, waiting while the queue is full; false when the consumer cancelled.
    @discardableResult
    private func put(_ event: Event) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while queue.count >= DeliveryReader.capacity && !cancelled { condition.wait() }
        if cancelled { return false }
        writerBehind = !queue.isEmpty
        queue.append(event)
        condition.broadcast()
        return true
    }

    private struct Stop: Error {}

    private func read(
        files: [(path: String, name: DeliveryFileName)],
        filter: any AttributeFilter,
        chunkSize: Int,
        limits: ParserLimits
    ) {
        var batch: [AAFRecord] = []
        batch.reserveCapacity(DeliveryReader.batchSize)
        do {
            for file in files {
                let parser = try AAFDocumentParser.parseFile(
                    atPath: file.path,
                    expectedCategory: file.name.category,
                    filter: filter,
                    chunkSize: chunkSize,
                    limits: limits
                ) { record in
                    var record = record
                    // While the writer is the slower half (a first import: every record written), the links are
                    // read here, on the parser's thread, and the writer only writes them. While the parser is the
                    // slower half (an unchanged re-import: the writer recognises each record and writes nothing),
                    // they are not read at all (issue 24).
                    if writerBehind { record.readLinksAhead() }
                    batch.append(record)
                    if batch.count >= DeliveryReader.batchSize {
                        guard put(.records(batch)) else { throw Stop() }
                        batch.removeAll(keepingCapacity: true)
                    }
                }
                if !batch.isEmpty {
                    guard put(.records(batch)) else { throw Stop() }
                    batch.removeAll(keepingCapacity: true)
                }
                guard put(.endOfFile(file.name, parser.header, parser.statistics)) else { throw Stop() }
                if isCancelled { throw Stop() }
            }
        } catch is Stop {
            return
        } catch {
            put(.failed(error))
        }
    }
}
