import Foundation
import IRPOCore

/// How the plot draws each series: points joined by lines, or separate dots.
enum PlotStyle: String, CaseIterable {
    case line, dots

    /// Lines only for an iteration table, rows M0, M1, ... in increasing order: a line between
    /// two unrelated models would suggest a trend that does not exist.
    static func automatic(for names: [String]) -> PlotStyle {
        var last = -1
        for name in names {
            let digits = name.dropFirst()
            guard name.first == "M", !digits.isEmpty, digits.allSatisfy({ ("0"..."9").contains($0) }),
                  let i = Int(digits), i > last
            else { return .dots }
            last = i
        }
        return names.isEmpty ? .dots : .line
    }
}

/// An SVG chart of greedy accuracy, sampled accuracy and maj@k per row, each point with a ±1
/// standard error bar, on a y range fitted to the data. Hand-written SVG, no dependency.
enum IterationPlot {
    static let colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]

    /// One series: a label and, per row, a value and its standard error (fractions).
    struct Series {
        var label: String
        var points: [(value: Double, se: Double)?]
        var dashed: Bool
    }

    static func esc(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func f(_ x: Double) -> String { String(format: "%.1f", x) }

    /// A row name short enough for the axis: long paths keep their end, where models differ.
    static func label(_ name: String) -> String { name.count > 28 ? "…" + name.suffix(27) : name }

    /// The y axis in percent: the data's extent with its error bars, padded by 8% of it (at least
    /// one point) and widened to whole ticks of 1, 2, 2.5 or 5 times a power of ten (the finest
    /// that needs no more than 8 of them), within 0-100.
    static func yAxis(_ extents: [(lo: Double, hi: Double)]) -> (lo: Double, hi: Double, step: Double) {
        guard let dataLo = extents.map(\.lo).min(), let dataHi = extents.map(\.hi).max() else { return (0, 100, 10) }
        let pad = max((dataHi - dataLo) * 0.08, 1)
        let lo = max(0, dataLo - pad), hi = min(100, dataHi + pad)
        let raw = (hi - lo) / 8
        let power = pow(10, floor(log10(raw)))
        let step = [1, 2, 2.5, 5, 10].map { $0 * power }.first { $0 >= raw } ?? 10 * power
        let axisLo = max(0, (lo / step).rounded(.down) * step), axisHi = min(100, (hi / step).rounded(.up) * step)
        return (axisLo, axisHi > axisLo ? axisHi : axisLo + step, step)
    }

    static func series(rows: [EvalRow], ks: [Int]) -> [Series] {
        func point(_ v: Double?, _ se: Double?) -> (value: Double, se: Double)? { v.map { ($0, se ?? 0) } }
        var out: [Series] = []
        if rows.contains(where: { $0.greedyFile != nil }) {
            out.append(Series(label: "greedy", points: rows.map { point($0.greedy?.accuracy, $0.greedy?.accuracySE) }, dashed: false))
        }
        out.append(Series(label: "sampled",
                          points: rows.map { point($0.summary.accuracy, $0.summary.accuracySE) }, dashed: false))
        for (j, k) in ks.enumerated() {
            let points = rows.map { point($0.summary.perK[j].majority, $0.summary.perK[j].majoritySE) }
            if points.contains(where: { $0 != nil }) { out.append(Series(label: "maj@\(k)", points: points, dashed: true)) }
        }
        return out
    }

    static func svg(rows: [EvalRow], ks: [Int], title: String, style: PlotStyle) -> String {
        let all = series(rows: rows, ks: ks)
        let n = max(rows.count, 1)
        let labels = rows.map { label($0.name) }
        // Names wider than their slot are rotated; rotated by 35°, neighbours a slot apart stay
        // slot·sin 35° ≥ 27 px apart, more than a line of text.
        let right = 200.0, top = 64.0, plotH = 300.0
        let plotW = max(520, 48 * Double(n)), slot = plotW / Double(n)
        let charW = 7.0, longest = Double(labels.map(\.count).max() ?? 0) * charW
        let rotate = longest > slot - 8
        let angle = 35 * Double.pi / 180
        let labelDepth = rotate ? longest * sin(angle) + 16 : 18
        // A rotated name ends below and left of its tick: the first one must stay on the canvas.
        let left = max(78, rotate ? longest * cos(angle) - slot / 2 + 12 : 0)
        let bottom = labelDepth + 48
        let width = left + plotW + right, height = top + plotH + bottom
        let axis = yAxis(all.flatMap { $0.points.compactMap { $0.map { (($0.value - $0.se) * 100, ($0.value + $0.se) * 100) } } })
        func y(_ v: Double) -> Double { top + plotH * (1 - (v * 100 - axis.lo) / (axis.hi - axis.lo)) }
        // Series side by side within a row's slot, so error bars of equal values do not overlap.
        let dodge = min(14, slot * 0.6 / Double(all.count))
        func x(_ i: Int, _ s: Int) -> Double { left + slot * (Double(i) + 0.5) + dodge * (Double(s) - Double(all.count - 1) / 2) }

        var out = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
        viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
        <title>\(esc(title))</title>
        <rect width="100%" height="100%" fill="white"/>
        <text class="title" x="\(f(left + plotW / 2))" y="28" text-anchor="middle" font-size="15">\(esc(title))</text>

        """
        for t in stride(from: axis.lo, through: axis.hi + axis.step / 1000, by: axis.step) {
            let yy = y(t / 100)
            let text = t == t.rounded() ? String(format: "%.0f%%", t) : String(format: "%.1f%%", t)
            out += "<line x1=\"\(f(left))\" y1=\"\(f(yy))\" x2=\"\(f(left + plotW))\" y2=\"\(f(yy))\" stroke=\"#ddd\"/>\n"
            out += "<text class=\"ytick\" x=\"\(f(left - 8))\" y=\"\(f(yy + 4))\" text-anchor=\"end\">\(text)</text>\n"
        }
        out += "<line x1=\"\(f(left))\" y1=\"\(f(top))\" x2=\"\(f(left))\" y2=\"\(f(top + plotH))\" stroke=\"#333\"/>\n"
        out += "<line x1=\"\(f(left))\" y1=\"\(f(top + plotH))\" x2=\"\(f(left + plotW))\" y2=\"\(f(top + plotH))\" stroke=\"#333\"/>\n"
        for (i, name) in labels.enumerated() {
            let lx = left + slot * (Double(i) + 0.5), ly = top + plotH + 18
            let placement = rotate ? "text-anchor=\"end\" transform=\"rotate(-35 \(f(lx)) \(f(ly)))\"" : "text-anchor=\"middle\""
            out += "<text class=\"xtick\" x=\"\(f(lx))\" y=\"\(f(ly))\" \(placement)><title>\(esc(rows[i].name))</title>\(esc(name))</text>\n"
        }
        out += "<text class=\"axis-title\" x=\"\(f(left + plotW / 2))\" y=\"\(f(top + plotH + labelDepth + 34))\" text-anchor=\"middle\">model</text>\n"
        let (tx, ty) = (left - 56, top + plotH / 2)
        out += "<text class=\"axis-title\" x=\"\(f(tx))\" y=\"\(f(ty))\" text-anchor=\"middle\" transform=\"rotate(-90 \(f(tx)) \(f(ty)))\">accuracy (%)</text>\n"

        for (s, entry) in all.enumerated() {
            let color = colors[s % colors.count]
            let points = entry.points.enumerated().compactMap { i, p in p.map { (i: i, x: x(i, s), value: $0.value, se: $0.se) } }
            if style == .line && points.count > 1 {
                let path = points.map { "\(f($0.x)),\(f(y($0.value)))" }.joined(separator: " ")
                out += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"\(entry.dashed ? " stroke-dasharray=\"6 4\"" : "") points=\"\(path)\"/>\n"
            }
            for p in points {
                let (y0, y1) = (y(max(0, p.value - p.se)), y(min(1, p.value + p.se)))
                out += "<path class=\"errorbar\" d=\"M\(f(p.x)) \(f(y0))V\(f(y1))M\(f(p.x - 3)) \(f(y0))h6M\(f(p.x - 3)) \(f(y1))h6\" stroke=\"\(color)\" stroke-width=\"1.2\"/>\n"
                out += "<circle class=\"point\" cx=\"\(f(p.x))\" cy=\"\(f(y(p.value)))\" r=\"4\" fill=\"\(color)\">"
                out += "<title>\(esc(rows[p.i].name)) \(esc(entry.label)): \(EvalReport.percent(p.value, p.se))%</title></circle>\n"
            }
            let ly = top + 10 + Double(s) * 22, lx = left + plotW + 20
            if style == .line {
                out += "<line x1=\"\(f(lx))\" y1=\"\(f(ly))\" x2=\"\(f(lx + 28))\" y2=\"\(f(ly))\" stroke=\"\(color)\" stroke-width=\"2\"\(entry.dashed ? " stroke-dasharray=\"6 4\"" : "")/>\n"
            }
            out += "<circle cx=\"\(f(lx + 14))\" cy=\"\(f(ly))\" r=\"4\" fill=\"\(color)\"/>\n"
            out += "<text x=\"\(f(lx + 36))\" y=\"\(f(ly + 4))\">\(esc(entry.label))</text>\n"
        }
        let noteY = top + 10 + Double(all.count) * 22 + 6
        out += "<text x=\"\(f(left + plotW + 20))\" y=\"\(f(noteY))\" fill=\"#555\">bars: ±1 standard error</text>\n"
        out += "</svg>\n"
        return out
    }
}
