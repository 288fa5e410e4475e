import Foundation
import IRPOCore

/// An SVG line chart of accuracy and maj@k per input file, for looking at an iteration curve.
enum IterationPlot {
    static let colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]

    static func esc(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func f(_ x: Double) -> String { String(format: "%.1f", x) }

    static func svg(rows: [EvalRow], ks: [Int]) -> String {
        let width = 760.0, height = 440.0
        let left = 60.0, right = 170.0, top = 56.0, bottom = 90.0, inset = 30.0
        let plotW = width - left - right, plotH = height - top - bottom
        let n = rows.count
        func x(_ i: Int) -> Double { n == 1 ? left + plotW / 2 : left + inset + (plotW - 2 * inset) * Double(i) / Double(n - 1) }
        func y(_ v: Double) -> Double { top + plotH * (1 - v) }

        var series: [(label: String, values: [Double?], dashed: Bool)] = []
        if rows.contains(where: { $0.greedyFile != nil }) { series.append(("greedy", rows.map { $0.greedy?.accuracy }, false)) }
        series.append((series.isEmpty ? "accuracy" : "sample accuracy", rows.map { $0.summary.accuracy }, false))
        for (j, k) in ks.enumerated() {
            let values = rows.map { $0.summary.perK[j].majority }
            if values.contains(where: { $0 != nil }) { series.append(("maj@\(k)", values, true)) }
        }

        var out = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
        viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(f(left + plotW / 2))" y="26" text-anchor="middle" font-size="15">Accuracy per input</text>

        """
        for t in stride(from: 0, through: 100, by: 10) {
            let yy = y(Double(t) / 100)
            out += "<line x1=\"\(f(left))\" y1=\"\(f(yy))\" x2=\"\(f(left + plotW))\" y2=\"\(f(yy))\" stroke=\"#ddd\"/>\n"
            out += "<text x=\"\(f(left - 8))\" y=\"\(f(yy + 4))\" text-anchor=\"end\">\(t)%</text>\n"
        }
        out += "<line x1=\"\(f(left))\" y1=\"\(f(top))\" x2=\"\(f(left))\" y2=\"\(f(top + plotH))\" stroke=\"#333\"/>\n"
        out += "<line x1=\"\(f(left))\" y1=\"\(f(top + plotH))\" x2=\"\(f(left + plotW))\" y2=\"\(f(top + plotH))\" stroke=\"#333\"/>\n"
        for (i, r) in rows.enumerated() {
            let name = (r.name as NSString).lastPathComponent
            let label = name.count > 22 ? String(name.prefix(21)) + "…" : name
            let ly = top + plotH + 16
            out += "<text x=\"\(f(x(i)))\" y=\"\(f(ly))\" text-anchor=\"end\" transform=\"rotate(-30 \(f(x(i))) \(f(ly)))\">\(esc(label))</text>\n"
        }
        for (s, entry) in series.enumerated() {
            let color = colors[s % colors.count]
            let points = entry.values.enumerated().compactMap { i, v in v.map { (x(i), y($0), $0) } }
            if points.count > 1 {
                let path = points.map { "\(f($0.0)),\(f($0.1))" }.joined(separator: " ")
                out += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"\(entry.dashed ? " stroke-dasharray=\"6 4\"" : "") points=\"\(path)\"/>\n"
            }
            for p in points {
                out += "<circle cx=\"\(f(p.0))\" cy=\"\(f(p.1))\" r=\"4\" fill=\"\(color)\"/>\n"
                // Only the first curve (greedy, else accuracy) gets value labels: the others often sit on top of each other.
                if s == 0 {
                    out += "<text x=\"\(f(p.0))\" y=\"\(f(p.1 + 18))\" text-anchor=\"middle\" fill=\"\(color)\">\(f(p.2 * 100))</text>\n"
                }
            }
            let ly = top + 10 + Double(s) * 22
            let lx = left + plotW + 20
            out += "<line x1=\"\(f(lx))\" y1=\"\(f(ly))\" x2=\"\(f(lx + 28))\" y2=\"\(f(ly))\" stroke=\"\(color)\" stroke-width=\"2\"\(entry.dashed ? " stroke-dasharray=\"6 4\"" : "")/>\n"
            out += "<text x=\"\(f(lx + 36))\" y=\"\(f(ly + 4))\">\(esc(entry.label))</text>\n"
        }
        out += "</svg>\n"
        return out
    }
}
