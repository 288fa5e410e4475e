import IRPOCore

/// One generated word problem in GSM8K's shape: the question, the worked solution (one line per
/// arithmetic step, then "#### N") and the final value.
struct ArithmeticProblem {
    var question: String
    var solutionLines: [String]
    var result: Int

    /// GSM8K's `answer` field: the steps, then the final answer after "####".
    var answer: String { (solutionLines + ["#### \(result)"]).joined(separator: "\n") }
}

/// Draws problems of 2-4 steps of +, - and * with small numbers from a seeded generator.
///
/// Two story shapes (a stock of things that changes, and a shopping bill) and several wordings
/// of each operation, so that the model must read the question rather than match one pattern.
struct ProblemGenerator {
    var random: SplitMix64
    /// Decides the order of commutative operands in the solutions; a stream of its own, so the
    /// questions drawn are the same whether solutions vary or not.
    var order: SplitMix64
    /// Whether solutions write `a + b` and `a * b` in either order (a coin per step) or always
    /// in the order the question gives them.
    var variedOrder: Bool
    /// Whether solutions take a stock's sums and differences in any order that keeps the stock
    /// positive, a bill's costs in either order, and its change from the total or one cost at a
    /// time: paths through other intermediate numbers.
    var variedSteps: Bool

    static let people = ["Tom", "Ana", "Ben", "Mia", "Sam", "Lena", "Omar", "Zoe", "Ivan", "Rosa",
                         "Kai", "Nina", "Leo", "Emma", "Raj", "Ella"]
    static let things = ["apples", "marbles", "stickers", "books", "coins", "cards", "pencils",
                         "shells", "stamps", "eggs", "cookies", "beads"]
    static let boxes = ["boxes", "bags", "packs", "jars", "crates", "baskets"]
    static let goods = ["pens", "cups", "hats", "toys", "plates", "socks", "bowls", "kites"]

    init(seed: UInt64, variedOrder: Bool = false, variedSteps: Bool = false) {
        random = SplitMix64(seed: seed)
        order = SplitMix64(seed: seed, keys: 0x6F72_6465_72)
        self.variedOrder = variedOrder
        self.variedSteps = variedSteps
    }

    /// A uniform integer in `range`.
    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &random) }

    /// A uniform element of `items`.
    mutating func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }

    /// A solution line `a op b = result`, its operands swapped on a coin flip when the order
    /// varies: several correct gold paths per problem through the same numbers.
    mutating func step(_ a: Int, _ op: Character, _ b: Int, _ result: Int) -> String {
        let swap = variedOrder && op != "-" && order.next() & 1 == 1
        return swap ? "\(b) \(op) \(a) = \(result)" : "\(a) \(op) \(b) = \(result)"
    }

    /// The next problem: a stock story three times out of four, else a shopping bill.
    mutating func next() -> ArithmeticProblem {
        int(0...3) == 0 ? shopping() : stock()
    }

    /// One change to a stock, in the order the question tells it: `x + b`, `x - b` or `x * k`,
    /// the first two after a product line `c * d = b` when the question gives b as c groups of d.
    struct Change {
        var symbol: Character
        var operand: Int
        var factors: (Int, Int)? = nil

        /// The solution lines this change takes: its product, if any, then the change itself.
        var lineCount: Int { factors == nil ? 1 : 2 }

        /// The stock after this change.
        func apply(_ x: Int) -> Int {
            symbol == "+" ? x + operand : symbol == "-" ? x - operand : x * operand
        }
    }

    /// A person's stock of things changed by 1-3 operations (2-4 solution steps in all).
    mutating func stock() -> ArithmeticProblem {
        let person = pick(Self.people), item = pick(Self.things), box = pick(Self.boxes)
        var sentences: [String] = [], lines: [String] = []
        var changes: [Change] = []
        var x: Int
        let start: Int
        if int(0...2) == 0 {
            let c = int(2...9), d = int(2...12)
            x = c * d
            sentences.append("\(person) has \(c) \(box) with \(d) \(item) in each.")
            lines.append(step(c, "*", d, x))
        } else {
            x = int(8...60)
            sentences.append(pick(["\(person) has \(x) \(item).", "\(person) starts with \(x) \(item).",
                                   "There are \(x) \(item) in \(person)'s room."]))
        }
        start = x
        var stepCount = lines.count
        let targetSteps = int(2...4)
        while stepCount < targetSteps {
            let room = targetSteps - stepCount
            let change: Change
            switch int(0...4) {
            case 0:
                let b = int(2...40)
                sentences.append(pick(["\(person) buys \(b) more \(item).", "\(person) finds \(b) more.",
                                       "A friend gives \(person) \(b) \(item).", "Then \(person) gets \(b) more \(item)."]))
                change = Change(symbol: "+", operand: b)
            case 1 where x > 3:
                let b = int(1...min(40, x - 1))
                sentences.append(pick(["\(person) gives \(b) \(item) to a friend.", "\(person) loses \(b) of them.",
                                       "\(person) uses \(b) \(item).", "Then \(b) \(item) are eaten or lost."]))
                change = Change(symbol: "-", operand: b)
            case 2 where room >= 2:
                let c = int(2...9), d = pick([int(2...12), int(2...12), 10 * int(1...5)])
                sentences.append(pick(["\(person) buys \(c) \(box) with \(d) \(item) in each.",
                                       "\(person) gets \(c) \(box) of \(d) \(item).",
                                       "Then \(person) adds \(c) \(box) holding \(d) \(item) each."]))
                change = Change(symbol: "+", operand: c * d, factors: (c, d))
            case 3 where room >= 2 && x >= 8:
                let c = int(2...4), d = int(2...max(2, min(12, (x - 1) / c)))
                if c * d >= x { continue }
                sentences.append(pick(["\(person) fills \(c) \(box) with \(d) \(item) each and gives them away.",
                                       "\(person) sells \(c) \(box) of \(d) \(item)."]))
                change = Change(symbol: "-", operand: c * d, factors: (c, d))
            case 4 where x <= 150:
                let k = int(2...3)
                sentences.append(k == 2
                    ? pick(["Then the number of \(item) doubles.", "\(person) ends up with twice as many."])
                    : pick(["Then the number of \(item) triples.", "\(person) ends up with 3 times as many."]))
                change = Change(symbol: "*", operand: k)
            default:
                continue
            }
            changes.append(change)
            x = change.apply(x)
            stepCount += change.lineCount
        }
        sentences.append(pick(["How many \(item) does \(person) have now?", "How many \(item) are there now?",
                               "How many \(item) does \(person) end up with?"]))
        if variedSteps { changes = reorderedRuns(changes, from: start) }
        var value = start
        for change in changes {
            if let (c, d) = change.factors { lines.append(step(c, "*", d, change.operand)) }
            let next = change.apply(value)
            lines.append(step(value, change.symbol, change.operand, next))
            value = next
        }
        return ArithmeticProblem(question: sentences.joined(separator: " "), solutionLines: lines, result: value)
    }

    /// `changes` with each run of sums and differences (they commute) in an order drawn from
    /// `order`, among the orders whose running stock stays positive: the same total reached
    /// through other intermediate numbers, so a slip on one path is not a slip on another.
    mutating func reorderedRuns(_ changes: [Change], from start: Int) -> [Change] {
        // Runs split at each multiplication, which does not commute with them.
        var runs: [[Change]] = [[]]
        for change in changes {
            if change.symbol == "*" { runs += [[change], []] } else { runs[runs.count - 1].append(change) }
        }
        var result: [Change] = []
        var value = start
        for run in runs {
            let valid = Self.permutations(run).filter { orderKeepsStockPositive($0, from: value) }
            let chosen = valid.count > 1 ? valid[Int(order.next() % UInt64(valid.count))] : run
            result += chosen
            value = chosen.reduce(value) { $1.apply($0) }
        }
        return result
    }

    /// Whether applying `changes` in turn to `start` keeps every intermediate stock above zero.
    func orderKeepsStockPositive(_ changes: [Change], from start: Int) -> Bool {
        var value = start
        for change in changes {
            value = change.apply(value)
            if value <= 0 { return false }
        }
        return true
    }

    /// Every ordering of `items`, the given order first.
    static func permutations<T>(_ items: [T]) -> [[T]] {
        guard items.count > 1 else { return [items] }
        var all: [[T]] = []
        for (i, first) in items.enumerated() {
            var rest = items
            rest.remove(at: i)
            all += permutations(rest).map { [first] + $0 }
        }
        return all
    }

    /// A bill for two kinds of goods at a price each, and sometimes the change from a round note.
    mutating func shopping() -> ArithmeticProblem {
        let person = pick(Self.people)
        let first = pick(Self.goods)
        var second = pick(Self.goods)
        while second == first { second = pick(Self.goods) }
        let c1 = int(2...9), p1 = int(2...15), c2 = int(2...9), p2 = int(2...15)
        let e1 = c1 * p1, e2 = c2 * p2, total = e1 + e2
        var question = "\(person) buys \(c1) \(first) for $\(p1) each and \(c2) \(second) for $\(p2) each."
        var lines = [step(c1, "*", p1, e1), step(c2, "*", p2, e2)]
        // Either cost may come first: both orders are correct paths to the same total.
        let firstCostFirst = !((variedOrder || variedSteps) && order.next() & 1 == 1)
        if !firstCostFirst { lines.swapAt(0, 1) }
        if int(0...1) == 0 {
            let note = (total / 50 + 1) * 50
            question += " \(person) pays with $\(note). How much change does \(person) get?"
            if variedSteps && order.next() & 1 == 1 {
                // The note less one cost, then less the other: a path through other numbers.
                let (a, b) = firstCostFirst ? (e1, e2) : (e2, e1)
                lines.append(step(note, "-", a, note - a))
                lines.append(step(note - a, "-", b, note - total))
            } else {
                lines.append(step(e1, "+", e2, total))
                lines.append(step(note, "-", total, note - total))
            }
            return ArithmeticProblem(question: question, solutionLines: lines, result: note - total)
        }
        lines.append(step(e1, "+", e2, total))
        question += pick([" How much does \(person) spend?", " How many dollars does \(person) pay in all?"])
        return ArithmeticProblem(question: question, solutionLines: lines, result: total)
    }
}
