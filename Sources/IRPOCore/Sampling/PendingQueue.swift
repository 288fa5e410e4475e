/// First in, first out: what a run submitted to its generator, waiting for the answers that
/// come back in the same order. Taken items are dropped in batches, not one by one.
struct PendingQueue<Element> {
    private var items: [Element] = []
    private var head = 0

    /// Adds an item at the back.
    mutating func append(_ item: Element) { items.append(item) }

    /// Takes the item at the front; there must be one.
    mutating func pop() -> Element {
        let item = items[head]
        head += 1
        if head > 1024 && head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        return item
    }
}
