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

    static let people = ["Tom", "Ana", "Ben", "Mia", "Sam", "Lena", "Omar", "Zoe", "Ivan", "Rosa",
                         "Kai", "Nina", "Leo", "Emma", "Raj", "Ella"]
    static let things = ["apples", "marbles", "stickers", "books", "coins", "cards", "pencils",
                         "shells", "stamps", "eggs", "cookies", "beads"]
    static let boxes = ["boxes", "bags", "packs", "jars", "crates", "baskets"]
    static let goods = ["pens", "cups", "hats", "toys", "plates", "socks", "bowls", "kites"]

    init(seed: UInt64, variedOrder: Bool = false) {
        random = SplitMix64(seed: seed)
        order = SplitMix64(seed: seed, keys: 0x6F72_6465_72)
        self.variedOrder = variedOrder
    }

    /// A uniform integer in `range`.
    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &random) }

    /// A uniform element of `items`.
    mutating func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }

    /// A solution line `a op b = result`, its operands swapped on a coin flip when the order
    /// varies: several correct gold paths per problem, the diversity a vote over samples feeds
    /// on (README.md: here it did not make the vote beat greedy decoding).
    mutating func step(_ a: Int, _ op: Character, _ b: Int, _ result: Int) -> String {
        let swap = variedOrder && op != "-" && order.next() & 1 == 1
        return swap ? "\(b) \(op) \(a) = \(result)" : "\(a) \(op) \(b) = \(result)"
    }

    /// The next problem: a stock story three times out of four, else a shopping bill.
    mutating func next() -> ArithmeticProblem {
        int(0...3) == 0 ? shopping() : stock()
    }

    /// A person's stock of things changed by 1-3 operations (2-4 solution steps in all).
    mutating func stock() -> ArithmeticProblem {
        let person = pick(Self.people), item = pick(Self.things), box = pick(Self.boxes)
        var sentences: [String] = [], lines: [String] = []
        var x: Int
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
        let targetSteps = int(2...4)
        while lines.count < targetSteps {
            let room = targetSteps - lines.count
            switch int(0...4) {
            case 0:
                let b = int(2...40)
                sentences.append(pick(["\(person) buys \(b) more \(item).", "\(person) finds \(b) more.",
                                       "A friend gives \(person) \(b) \(item).", "Then \(person) gets \(b) more \(item)."]))
                lines.append(step(x, "+", b, x + b)); x += b
            case 1 where x > 3:
                let b = int(1...min(40, x - 1))
                sentences.append(pick(["\(person) gives \(b) \(item) to a friend.", "\(person) loses \(b) of them.",
                                       "\(person) uses \(b) \(item).", "Then \(b) \(item) are eaten or lost."]))
                lines.append(step(x, "-", b, x - b)); x -= b
            case 2 where room >= 2:
                let c = int(2...9), d = pick([int(2...12), int(2...12), 10 * int(1...5)])
                let e = c * d
                sentences.append(pick(["\(person) buys \(c) \(box) with \(d) \(item) in each.",
                                       "\(person) gets \(c) \(box) of \(d) \(item).",
                                       "Then \(person) adds \(c) \(box) holding \(d) \(item) each."]))
                lines.append(step(c, "*", d, e)); lines.append(step(x, "+", e, x + e)); x += e
            case 3 where room >= 2 && x >= 8:
                let c = int(2...4), d = int(2...max(2, min(12, (x - 1) / c)))
                let e = c * d
                if e >= x { continue }
                sentences.append(pick(["\(person) fills \(c) \(box) with \(d) \(item) each and gives them away.",
                                       "\(person) sells \(c) \(box) of \(d) \(item)."]))
                lines.append(step(c, "*", d, e)); lines.append(step(x, "-", e, x - e)); x -= e
            case 4 where x <= 150:
                let k = int(2...3)
                sentences.append(k == 2
                    ? pick(["Then the number of \(item) doubles.", "\(person) ends up with twice as many."])
                    : pick(["Then the number of \(item) triples.", "\(person) ends up with 3 times as many."]))
                lines.append(step(x, "*", k, x * k)); x *= k
            default:
                continue
            }
        }
        sentences.append(pick(["How many \(item) does \(person) have now?", "How many \(item) are there now?",
                               "How many \(item) does \(person) end up with?"]))
        return ArithmeticProblem(question: sentences.joined(separator: " "), solutionLines: lines, result: x)
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
        if variedOrder && order.next() & 1 == 1 { lines.swapAt(0, 1) }
        lines.append(step(e1, "+", e2, total))
        if int(0...1) == 0 {
            let note = (total / 50 + 1) * 50
            question += " \(person) pays with $\(note). How much change does \(person) get?"
            lines.append(step(note, "-", total, note - total))
            return ArithmeticProblem(question: question, solutionLines: lines, result: note - total)
        }
        question += pick([" How much does \(person) spend?", " How many dollars does \(person) pay in all?"])
        return ArithmeticProblem(question: question, solutionLines: lines, result: total)
    }
}
