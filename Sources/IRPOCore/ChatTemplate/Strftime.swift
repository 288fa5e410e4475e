import Foundation

/// `strftime_now(format)` as transformers defines it, `datetime.now().strftime(format)`, in the
/// C locale: the directives chat templates use for "Today Date" lines. Others are refused by name.
enum Strftime {
    /// The local time `date` falls on in `timeZone`, formatted, or the first directive not supported.
    static func format(_ format: String, date: Date, timeZone: TimeZone) -> Result<String, UnsupportedDirective> {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        let year = c.year ?? 1970, month = c.month ?? 1, day = c.day ?? 1
        let hour = c.hour ?? 0, minute = c.minute ?? 0, second = c.second ?? 0
        let weekday = ((c.weekday ?? 1) + 5) % 7  // 0 = Monday
        let dayOfYear = calendar.ordinality(of: .day, in: .year, for: date) ?? 1

        var out = ""
        var chars = format.makeIterator()
        while let ch = chars.next() {
            guard ch == "%" else { out.append(ch); continue }
            guard var directive = chars.next() else { out.append("%"); break }
            // glibc's "-" flag drops the zero padding ("%-d" → "5").
            var pad = true
            if directive == "-" {
                pad = false
                guard let next = chars.next() else { return .failure(UnsupportedDirective(directive: "%-")) }
                directive = next
            }
            func number(_ v: Int, _ width: Int) -> String {
                let s = String(v)
                return pad ? String(repeating: "0", count: max(0, width - s.count)) + s : s
            }
            switch directive {
            case "Y": out += String(year)
            case "y": out += number(year % 100, 2)
            case "m": out += number(month, 2)
            case "d": out += number(day, 2)
            case "e": out += pad ? (day < 10 ? " " : "") + String(day) : String(day)
            case "j": out += number(dayOfYear, 3)
            case "H": out += number(hour, 2)
            case "I": out += number(hour % 12 == 0 ? 12 : hour % 12, 2)
            case "M": out += number(minute, 2)
            case "S": out += number(second, 2)
            case "p": out += hour < 12 ? "AM" : "PM"
            case "b", "h": out += monthNames[month - 1].prefix(3)
            case "B": out += monthNames[month - 1]
            case "a": out += dayNames[weekday].prefix(3)
            case "A": out += dayNames[weekday]
            case "%": out += "%"
            default: return .failure(UnsupportedDirective(directive: "%" + (pad ? "" : "-") + String(directive)))
            }
        }
        return .success(out)
    }

    /// A directive outside the supported set, as written.
    struct UnsupportedDirective: Error {
        var directive: String
    }

    private static let monthNames = ["January", "February", "March", "April", "May", "June", "July",
                                     "August", "September", "October", "November", "December"]
    private static let dayNames = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
}
