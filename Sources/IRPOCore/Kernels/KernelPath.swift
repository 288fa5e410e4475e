import Foundation

/// Which hand-written kernels run: AVX-512, AVX2 with FMA, or plain scalar Swift.
///
/// Every path computes each output element as the same k-ordered chain of fused multiply-adds
/// (a fused multiply-add rounds once whatever the vector width), so they give the same bits;
/// the choice changes the speed, never a result. `IRPO_SIMD=avx512|avx2|portable` forces one.
public enum KernelPath: String, Sendable, CaseIterable {
    case avx512, avx2, portable

    /// The path chosen for this process: IRPO_SIMD when the CPU has it, else the widest it has.
    public static let best: KernelPath = {
        if let forced = ProcessInfo.processInfo.environment["IRPO_SIMD"].flatMap(KernelPath.init(rawValue:)),
           available.contains(forced) {
            return forced
        }
        return available[0]
    }()

    /// The paths this CPU can run, widest first; `portable` is always among them.
    public static let available: [KernelPath] = {
        #if arch(x86_64)
        // The core itself is compiled for Haswell (AVX2 + FMA); IRPOKernelsAVX512 only runs when checked.
        return cpuFlags.contains("avx512f") ? [.avx512, .avx2, .portable] : [.avx2, .portable]
        #else
        return [.portable]
        #endif
    }()

    /// The CPU's feature flags from /proc/cpuinfo (empty where there is none).
    static let cpuFlags: Set<Substring> = {
        guard let line = cpuInfoField("flags") else { return [] }
        return Set(line.split(separator: " "))
    }()
}

/// The machine a run is on, in the words a user compares between machines.
public enum MachineDescription {
    /// The CPU's model name from /proc/cpuinfo with its family and model numbers, e.g.
    /// "Intel(R) Xeon(R) Platinum 8581C CPU @ 2.10GHz (family 6 model 207)".
    public static let cpuModel: String = {
        let name = cpuInfoField("model name") ?? "unknown CPU"
        guard let family = cpuInfoField("cpu family"), let model = cpuInfoField("model") else { return name }
        return "\(name) (family \(family) model \(model))"
    }()

    /// One line naming the CPU, the kernel path and the thread count, for the start of long work.
    public static func line(threads: Int = ComputeThreads.count, path: KernelPath = .best) -> String {
        let forced = ProcessInfo.processInfo.environment["IRPO_SIMD"].map { " (IRPO_SIMD=\($0))" } ?? ""
        return "cpu: \(cpuModel); kernels: \(path.rawValue)\(forced); threads: \(threads)"
    }
}

/// The value of the first `key : value` line of /proc/cpuinfo.
func cpuInfoField(_ key: String) -> String? { cpuInfoFields[key] }

/// /proc/cpuinfo's fields, the first CPU's value of each, read once (empty where there is none).
private let cpuInfoFields: [String: String] = {
    var fields: [String: String] = [:]
    #if os(Linux)
    guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return fields }
    for line in info.split(separator: "\n") {
        guard let colon = line.firstIndex(of: ":") else { continue }
        let key = line[..<colon].trimmingCharacters(in: .whitespaces)
        if fields[key] == nil { fields[key] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces) }
    }
    #endif
    return fields
}()
