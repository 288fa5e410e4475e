import Foundation

/// A model's chat template with the BOS and EOS strings it renders with, read from its
/// directory the way transformers reads it: `chat_template.jinja` when present, else the
/// `chat_template` of `tokenizer_config.json` (a string, or a list of {name, template} from
/// which "default" is taken); the tokens from `tokenizer_config.json`'s `bos_token` and
/// `eos_token` (a string or an added-token object's `content`; empty when absent).
public struct ModelChatTemplate: Sendable {
    /// The parsed template.
    public let template: ChatTemplate
    /// `bos_token` as the template sees it.
    public let bosToken: String
    /// `eos_token` as the template sees it.
    public let eosToken: String
    /// Which file the template text came from.
    public let file: String

    /// The file a model directory may hold its template in.
    public static let templateFileName = "chat_template.jinja"
    /// The tokenizer's settings, with the template when no template file exists.
    public static let tokenizerConfigName = "tokenizer_config.json"

    /// A template with its tokens, as given.
    public init(template: ChatTemplate, bosToken: String, eosToken: String, file: String) {
        self.template = template
        self.bosToken = bosToken
        self.eosToken = eosToken
        self.file = file
    }

    /// The chat template among a model's top-level files by name (a Checkpoint's `extraFiles`);
    /// nil when the model has none. `display` names the model in errors, which name the file too.
    public init?(files: [String: Data], display: String) throws {
        var tokens = TokenizerConfig()
        let configFile = display + "/" + Self.tokenizerConfigName
        if let data = files[Self.tokenizerConfigName] { tokens = try TokenizerConfig(data, display: configFile) }
        let source: String
        let file: String
        if let data = files[Self.templateFileName] {
            file = display + "/" + Self.templateFileName
            guard let text = String(data: data, encoding: .utf8) else { throw CheckpointError(file: file, "not UTF-8 text") }
            source = text
        } else if let text = tokens.chatTemplate {
            file = configFile
            source = text
        } else {
            return nil
        }
        do {
            template = try ChatTemplate(source: source)
        } catch {
            throw CheckpointError(file: file, error.description)
        }
        bosToken = tokens.bosToken ?? ""
        eosToken = tokens.eosToken ?? ""
        self.file = file
    }

    /// The chat template of the checkpoint directory or bundle at `path`, reading only those two
    /// files; nil when it has none.
    public static func load(_ path: String) throws -> ModelChatTemplate? {
        let files = try CheckpointIO.readFiles(path, named: [templateFileName, tokenizerConfigName])
        return try ModelChatTemplate(files: files, display: path)
    }

    /// `template.render` with this model's BOS and EOS strings.
    public func render(messages: [ChatMessage], addGenerationPrompt: Bool, extra: [String: TemplateValue] = [:],
                       now: Date = Date(), timeZone: TimeZone = .current) throws(ChatTemplateError) -> String {
        try template.render(messages: messages, addGenerationPrompt: addGenerationPrompt, bosToken: bosToken,
                            eosToken: eosToken, extra: extra, now: now, timeZone: timeZone)
    }
}

/// What the chat template needs from tokenizer_config.json.
private struct TokenizerConfig {
    var chatTemplate: String?
    var bosToken: String?
    var eosToken: String?

    init() {}

    init(_ data: Data, display: String) throws {
        let json: JSONValue
        do { json = try JSONParser.parse([UInt8](data)) } catch { throw CheckpointError(file: display, error.description) }
        guard let object = json.objectValue else { throw CheckpointError(file: display, "not a JSON object") }
        bosToken = try Self.token(object["bos_token"], key: "bos_token", display: display)
        eosToken = try Self.token(object["eos_token"], key: "eos_token", display: display)
        switch object["chat_template"] {
        case nil, .null?:
            break
        case .string(let s)?:
            chatTemplate = s
        case .array(let entries)?:
            var names: [String] = []
            for entry in entries {
                guard let o = entry.objectValue, let name = o["name"]?.stringValue, let text = o["template"]?.stringValue else {
                    throw CheckpointError(file: display, "\"chat_template\" list entries must be objects with string \"name\" and \"template\"")
                }
                names.append(name)
                if name == "default" { chatTemplate = text }
            }
            if chatTemplate == nil {
                throw CheckpointError(file: display, "\"chat_template\" has templates \(names.map { "\"\($0)\"" }.joined(separator: ", ")) but none named \"default\"")
            }
        case let other?:
            throw CheckpointError(file: display, "\"chat_template\" must be a string or a list of {name, template}, not \(other.kindName)")
        }
    }

    /// A special token given as a string or as an added-token object ({"content": ..., ...}).
    private static func token(_ v: JSONValue?, key: String, display: String) throws -> String? {
        switch v {
        case nil, .null?: return nil
        case .string(let s)?: return s
        case .object(let o)?:
            guard let content = o["content"]?.stringValue else {
                throw CheckpointError(file: display, "\"\(key)\" object has no string \"content\"")
            }
            return content
        case let other?:
            throw CheckpointError(file: display, "\"\(key)\" must be a string or an object with \"content\", not \(other.kindName)")
        }
    }
}
